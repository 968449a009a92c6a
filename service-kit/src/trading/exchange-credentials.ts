import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@recio/router';
import { z } from 'zod';

/** One user's exchange API key. */
export interface ExchangeCredential {
  userId: string;
  keyId: string;
  privateKeyPem: string;
}

const FileSchema = z
  .array(
    z
      .object({
        user_id: z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected a user id like user_0001'),
        key_id: z.string().min(1),
        private_key_pem_file: z.string().min(1).optional(),
        private_key_pem: z.string().includes('PRIVATE KEY').optional(),
      })
      .refine(
        (c) => c.private_key_pem_file || c.private_key_pem,
        'private_key_pem_file or private_key_pem is required',
      ),
  )
  .min(1);

/**
 * Reads the users' exchange keys from EXCHANGE_CREDENTIALS_FILE: a JSON list of
 * `{ user_id, key_id, private_key_pem_file | private_key_pem }` (key files relative to the list).
 * The file and the keys stay out of the repository: `make dev` generates paper keys under
 * `.recio/dev/`, Kubernetes mounts a Secret. A bad file is a ConfigError naming it.
 */
export function loadExchangeCredentials(file: string): Map<string, ExchangeCredential> {
  let parsed: z.infer<typeof FileSchema>;
  try {
    const result = FileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new ConfigError(`EXCHANGE_CREDENTIALS_FILE ${file}: [${issue.path.join('.')}] ${issue.message}`);
    }
    parsed = result.data;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`EXCHANGE_CREDENTIALS_FILE ${file}: ${(err as Error).message}`);
  }
  const out = new Map<string, ExchangeCredential>();
  for (const c of parsed) {
    let pem = c.private_key_pem;
    if (!pem) {
      const path = resolve(dirname(file), c.private_key_pem_file!);
      try {
        pem = readFileSync(path, 'utf8');
      } catch (err) {
        throw new ConfigError(`EXCHANGE_CREDENTIALS_FILE ${file}: key of ${c.user_id}: ${(err as Error).message}`);
      }
    }
    out.set(c.user_id, { userId: c.user_id, keyId: c.key_id, privateKeyPem: pem });
  }
  return out;
}
