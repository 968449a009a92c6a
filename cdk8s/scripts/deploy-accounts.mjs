// Writes what the recio-exchange and recio-app Secrets hold, for the users named on the command
// line: node deploy-accounts.mjs <out-dir> user_0001 [user_0002 ...]
//   <out-dir>/exchange/  credentials.json, <user>.key.pem (the services that sign)
//   <out-dir>/paper/     paper-accounts.json, <user>.pub.pem (the paper exchange: public keys only)
//   <out-dir>/app/       api-tokens.json (the tokens' SHA-256 digests: main-app never holds a token)
//   <out-dir>/source/    api-tokens.json in the clear, for the traders (never leaves this machine)
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
const paper = join(out, 'paper');
const app = join(out, 'app');
for (const dir of [exchange, paper, app]) await mkdir(dir, { recursive: true, mode: 0o700 });
// Each list and the key files it names go to one directory (one Secret), renamed to bare names.
const rebase = async (from, dir, name, field) => {
  const list = JSON.parse(await readFile(from, 'utf8'));
  for (const entry of list) {
    await copyFile(entry[field], join(dir, basename(entry[field])));
    entry[field] = basename(entry[field]);
  }
  await writeFile(join(dir, name), `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
};
await rebase(made.exchangeCredentialsFile, exchange, 'credentials.json', 'private_key_pem_file');
await rebase(made.paperAccountsFile, paper, 'paper-accounts.json', 'public_key_pem_file');
await copyFile(made.apiTokenDigestsFile, join(app, 'api-tokens.json'));
console.log(`accounts for ${users.join(', ')} in ${out}`);
