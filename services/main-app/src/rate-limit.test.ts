import { describe, expect, it } from 'vitest';
import { limitKindOf } from './rate-limit.js';

describe('limitKindOf', () => {
  it('spends orders on opening and closing, settings on any other change, replay and reads on the rest', () => {
    expect(limitKindOf('POST', '/api/v1/trades')).toBe('orders');
    expect(limitKindOf('POST', '/api/v1/trades/:id/close')).toBe('orders');
    expect(limitKindOf('PATCH', '/api/v1/settings')).toBe('settings');
    expect(limitKindOf('PUT', '/api/v1/settings')).toBe('settings');
    expect(limitKindOf('GET', '/api/v1/replay')).toBe('replay');
    expect(limitKindOf('GET', '/api/v1/trades')).toBe('reads');
    expect(limitKindOf('GET', '/api/v1/trades/:id')).toBe('reads');
    expect(limitKindOf('HEAD', '/api/v1/account')).toBe('reads');
    // Signing out spends nothing: it must work with every budget spent.
    expect(limitKindOf('DELETE', '/api/v1/session')).toBeNull();
    expect(limitKindOf('GET', '/api/v1/session')).toBe('reads');
  });
});
