// Writes what the recio-exchange and recio-app Secrets hold, for the users named on the command
// line: node deploy-accounts.mjs <out-dir> user_0001 [user_0002 ...]
//   <out-dir>/exchange/  credentials.json, paper-accounts.json, <user>.key.pem, <user>.pub.pem
//   <out-dir>/app/       api-tokens.json
// Keys and tokens come from @recio/stack's ensureDevAccounts (kept across runs under
// <out-dir>/source). Paths inside the JSON files are bare file names: the services resolve them
// next to the list, which is where the Secret mounts them. Nothing here is committed.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ensureDevAccounts } from '@recio/stack';

const [out, ...users] = process.argv.slice(2);
if (!out || users.length === 0) {
  console.error('usage: deploy-accounts.mjs <out-dir> <user> [user ...]');
  process.exit(2);
}
const source = join(out, 'source');
const made = await ensureDevAccounts({
  dir: source,
  users,
  balanceCents: Number(process.env.PAPER_BALANCE_CENTS ?? 1_000_000),
});
const exchange = join(out, 'exchange');
const app = join(out, 'app');
await mkdir(exchange, { recursive: true, mode: 0o700 });
await mkdir(app, { recursive: true, mode: 0o700 });
const rebase = async (from, to, field) => {
  const list = JSON.parse(await readFile(from, 'utf8'));
  for (const entry of list) {
    await copyFile(entry[field], join(exchange, basename(entry[field])));
    entry[field] = basename(entry[field]);
  }
  await writeFile(to, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
};
await rebase(made.exchangeCredentialsFile, join(exchange, 'credentials.json'), 'private_key_pem_file');
await rebase(made.paperAccountsFile, join(exchange, 'paper-accounts.json'), 'public_key_pem_file');
await copyFile(made.apiTokensFile, join(app, 'api-tokens.json'));
console.log(`accounts for ${users.join(', ')} in ${out}`);
