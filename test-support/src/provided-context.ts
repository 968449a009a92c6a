// What the integration tests' globalSetup provides (global-setup.ts): imported by
// the files that inject it, so any workspace's tests type-check with it.
declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export {};
