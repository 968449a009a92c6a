import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, StackError } from './errors.js';
import type { Supervisor } from './supervisor.js';

/** Signals the control API may send (the chaos tests' and the health controller's). */
export const CONTROL_SIGNALS = ['SIGKILL', 'SIGTERM'] as const;

/** Settings of a `ControlServer`. */
export interface ControlServerOptions {
  /** The supervisor it controls. */
  supervisor: Supervisor;
  /** TCP port on 127.0.0.1; 0 picks a free one. @defaultValue 8099 */
  port?: number;
}

/** The control API's port on 127.0.0.1 unless told otherwise (STACK_CONTROL_PORT). */
export const CONTROL_PORT = 8099;

const DEFAULTS = { port: CONTROL_PORT } as const;

// Status of each error code the supervisor throws.
const STATUS_BY_CODE: Record<string, number> = {
  UNKNOWN_PROCESS: 404,
  NOT_A_SERVICE: 409,
  STOPPED: 409,
};

/**
 * The supervisor's local HTTP control API, bound to 127.0.0.1 only:
 * `GET /processes` → `{ processes: ProcessStatus[] }`;
 * `POST /processes/{name}/restart` → SIGTERM, wait, start again → `{ process }`;
 * `POST /processes/{name}/kill?signal=SIGKILL|SIGTERM` (default SIGKILL) → `{ name, signal }`.
 * Errors are `{ error: { code, message } }`. Requests carrying an `Origin` header are refused: a web
 * page in the developer's browser could otherwise POST here (a "simple" cross-site request).
 */
export class ControlServer {
  private readonly options: Required<ControlServerOptions>;
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  constructor(options: ControlServerOptions) {
    this.options = { ...DEFAULTS, ...options, port: options.port ?? DEFAULTS.port };
    const { port } = this.options;
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new InvalidOptionError('port', `expected 0..65535, got ${String(port)}`);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        reply(res, 500, errorBody('INTERNAL', err instanceof Error ? err.message : String(err))),
      );
    });
  }

  /** Listens; resolves with the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  /** The base URL it listens on. */
  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.options.port}`;
  }

  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.origin !== undefined) {
      return reply(res, 403, errorBody('FORBIDDEN_ORIGIN', 'browser requests are not accepted'));
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const { supervisor } = this.options;
    if (url.pathname === '/processes') {
      if (req.method !== 'GET') return reply(res, 405, errorBody('METHOD_NOT_ALLOWED', 'use GET'));
      return reply(res, 200, { processes: supervisor.status() });
    }
    const match = /^\/processes\/([^/]+)\/(restart|kill)$/.exec(url.pathname);
    if (!match) return reply(res, 404, errorBody('NOT_FOUND', `no route ${url.pathname}`));
    if (req.method !== 'POST') return reply(res, 405, errorBody('METHOD_NOT_ALLOWED', 'use POST'));
    const name = decodeURIComponent(match[1]!);
    try {
      if (match[2] === 'restart') {
        await supervisor.restart(name);
        return reply(res, 200, { process: supervisor.status().find((p) => p.name === name) });
      }
      const signal = url.searchParams.get('signal') ?? 'SIGKILL';
      if (!isControlSignal(signal)) {
        return reply(
          res,
          400,
          errorBody(
            'INVALID_SIGNAL',
            `signal must be one of ${CONTROL_SIGNALS.join(', ')}, got ${JSON.stringify(signal)}`,
          ),
        );
      }
      if (!supervisor.kill(name, signal))
        return reply(res, 409, errorBody('NOT_RUNNING', `${name} has no running process`));
      return reply(res, 200, { name, signal });
    } catch (err) {
      if (err instanceof StackError && STATUS_BY_CODE[err.code] !== undefined) {
        return reply(res, STATUS_BY_CODE[err.code]!, errorBody(err.code, err.message));
      }
      throw err;
    }
  }
}

function isControlSignal(s: string): s is (typeof CONTROL_SIGNALS)[number] {
  return (CONTROL_SIGNALS as readonly string[]).includes(s);
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
