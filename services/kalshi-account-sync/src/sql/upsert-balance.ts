import type { PlatformTransaction } from '@recio/service-kit';

/** Writes the user's balance; true when it was new or differed from the stored one. */
export async function upsertBalance(tx: PlatformTransaction, userId: string, balanceCents: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO account_balance AS b (user_id, balance_cents) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET balance_cents = EXCLUDED.balance_cents, updated_at = now()
     WHERE b.balance_cents <> EXCLUDED.balance_cents`,
    [userId, balanceCents],
  );
  return (rowCount ?? 0) > 0;
}
