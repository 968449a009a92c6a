import {
  CHART_TICKS,
  chartHistoryPath,
  type EventFrame,
  type HealthChange,
  type PriceTick,
  type StrikeRow,
  type StrikeTable,
  type TradeSnapshot,
} from '@recio/platform/browser';
import { watchlist, type Settings } from '@recio/domain';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from './api.js';
import { PriceChart } from './chart.js';
import { cents, usd } from './format.js';
import { LiveLink, type Follow, type LinkState, type LinkStats } from './live.js';
import { SignIn, type Me } from './sign-in.js';
import { LIVE_STATUSES, livePnl, TradeTable, type Column } from './trades.js';

/** A fill and a settlement as GET /fills and GET /settlements list them. */
interface Fill {
  fillId: string;
  ticker: string;
  side: 'yes' | 'no';
  action: string;
  count: number;
  yesPrice: number;
  noPrice: number;
}
interface Settlement {
  ticker: string;
  marketResult: string;
  revenueCents: number;
}

/** A position as mirrored from the exchange (signed: YES positive, NO negative). */
interface Position {
  ticker: string;
  position: number;
}

/** How many fills and settlements the account panel lists (the snapshot's own count). */
const RECENT = 20;

/** GET /snapshot: each part with the seq of the channel it reflects. */
interface Snapshot {
  trades: { seq: number; live: TradeSnapshot[]; recent: TradeSnapshot[] };
  account: { seq: number; balanceCents: number | null; fills: Fill[]; settlements: Settlement[] };
  positions: { seq: number; positions: Position[] };
  settings: { seq: number; settings: Settings };
  health: { seq: number; changes: HealthChange[] };
}
type SnapshotSeqs = Pick<Snapshot, 'trades' | 'account' | 'positions' | 'settings' | 'health'>;

/** `ticks` and `more` as one series for the chart: in time order, each second once, the newest CHART_TICKS. */
function mergeTicks(ticks: readonly PriceTick[], more: readonly PriceTick[]): PriceTick[] {
  const bySecond = new Map<number, PriceTick>();
  for (const t of [...ticks, ...more]) bySecond.set(t.at, t);
  return [...bySecond.values()].sort((a, b) => a.at - b.at).slice(-CHART_TICKS);
}

/** A component's state is per component, and per trader for a notice naming one. */
const healthKey = (h: HealthChange) => `${h.component}/${h.userId ?? ''}`;

/** The current time, ticking every second while `on` (a countdown's display, not a poll). */
function useNow(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

/** The trader's spike guard (auto entry paused by a momentum spike) with its countdown. */
function SpikeGuard({ guard }: { guard: HealthChange | undefined }) {
  const counting = guard?.status === 'paused' && guard.resumesAt != null;
  const now = useNow(counting);
  let text = 'running';
  if (guard?.status === 'paused') {
    if (guard.resumesAt == null) text = 'paused: waiting for momentum to calm';
    else {
      const s = Math.max(0, Math.ceil((guard.resumesAt - now) / 1000));
      text = `paused: resumes in ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }
  }
  return (
    <p>
      spike guard{' '}
      <span data-testid="spike-guard" data-status={guard?.status ?? 'up'} title={guard?.detail}>
        {text}
      </span>
    </p>
  );
}

/** A labelled number input of the settings form. */
function NumberField(props: { name: string; label: string; value: number; min?: number; max?: number; step?: string }) {
  return (
    <label>
      {props.label}{' '}
      <input
        name={props.name}
        type="number"
        min={String(props.min ?? 0)}
        {...(props.max === undefined ? {} : { max: String(props.max) })}
        step={props.step ?? 'any'}
        defaultValue={String(props.value)}
      />
    </label>
  );
}

/** A labelled checkbox of the settings form. */
function CheckField(props: { name: string; label: string; checked: boolean }) {
  return (
    <label>
      <input type="checkbox" name={props.name} defaultChecked={props.checked} /> {props.label}
    </label>
  );
}

function Trading({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const [link, setLink] = useState<LinkState>('connecting');
  const [stats, setStats] = useState<LinkStats>({ duplicates: 0, badFrames: 0, resyncs: 0 });
  const [ticks, setTicks] = useState<PriceTick[]>([]);
  const [table, setTable] = useState<StrikeTable | null>(null);
  const [trades, setTrades] = useState<Map<string, TradeSnapshot>>(new Map());
  /** An admin's view: every trader's live trades. */
  const [everyone, setEveryone] = useState<Map<string, TradeSnapshot>>(new Map());
  const [balance, setBalance] = useState<number | null>(null);
  const [positions, setPositions] = useState<Position[]>([]);
  const [fills, setFills] = useState<Fill[]>([]);
  const [settlements, setSettlements] = useState<Settlement[]>([]);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [health, setHealth] = useState<Map<string, HealthChange>>(new Map());
  const [mode, setMode] = useState<'diff' | 'price'>('diff');
  const [message, setMessage] = useState<string | null>(null);

  /** A trade as an event of the page's trades channel carries it: events come in order, the newest wins. */
  const upsert = (t: TradeSnapshot) => setTrades((m) => new Map(m).set(t.id, t));
  /**
   * A trade as an API reply has it: only when the page holds none yet. The reply may be older than
   * what the page got meanwhile (the snapshot, or events: the trade opened before its entry's reply
   * was read), and the trades channel goes on delivering whatever comes after it.
   */
  const seed = (t: TradeSnapshot) => setTrades((m) => (m.has(t.id) ? m : new Map(m).set(t.id, t)));

  useEffect(() => {
    let live = true;
    // A session ended elsewhere (another tab signed out, the user disabled) closes the socket as
    // UNAUTHENTICATED, or refuses it: the page goes back to its sign-in.
    const l = new LiveLink(setLink, setStats, {
      signedIn: () =>
        api('GET', '/me').then(
          () => true,
          (err: unknown) => !(err instanceof ApiError && err.status === 401),
        ),
      onSignedOut: () => {
        setCsrf(undefined);
        onSignedOut();
      },
    });
    const user = me.userId;
    // Latest-value channels from 0: the gateway sends their newest event first (from its memory), then live ones.
    l.follow(
      {
        channel: 'prices:btc',
        onEvent: (e) => e.type === 'price.tick' && setTicks((ts) => mergeTicks(ts, [e.data as PriceTick])),
        onExpired: () => undefined,
      },
      0,
    );
    l.follow(
      {
        channel: 'markets:btc',
        onEvent: (e) => e.type === 'strike_table.updated' && setTable(e.data as StrikeTable),
        onExpired: () => undefined,
      },
      0,
    );
    // Every event carries what it changed: the page applies it, and never asks the API again.
    const follows: Record<keyof SnapshotSeqs, Follow> = {
      trades: {
        channel: `trades:${user}`,
        onEvent: (e: EventFrame) => {
          const data = e.data as { trade?: TradeSnapshot };
          if (data.trade) upsert(data.trade);
        },
        onExpired: () => void load(true),
      },
      account: {
        channel: `account:${user}`,
        onEvent: (e) => {
          const data = e.data as { balanceCents?: number; fill?: Fill; settlement?: Settlement };
          if (e.type === 'balance.updated' && data.balanceCents !== undefined) setBalance(data.balanceCents);
          if (e.type === 'fill.recorded' && data.fill)
            setFills((fs) => [data.fill!, ...fs.filter((f) => f.fillId !== data.fill!.fillId)].slice(0, RECENT));
          if (e.type === 'settlement.recorded' && data.settlement)
            setSettlements((ss) =>
              [data.settlement!, ...ss.filter((x) => x.ticker !== data.settlement!.ticker)].slice(0, RECENT),
            );
        },
        onExpired: () => void load(true),
      },
      positions: {
        channel: `positions:${user}`,
        onEvent: (e) => {
          const p = (e.data as { position?: Position }).position;
          if (p) setPositions((ps) => [...ps.filter((x) => x.ticker !== p.ticker), p]);
        },
        onExpired: () => void load(true),
      },
      settings: {
        channel: `settings:${user}`,
        onEvent: (e) => {
          const data = e.data as { settings?: Settings };
          if (data.settings) setSettings(data.settings);
        },
        onExpired: () => void load(true),
      },
      health: {
        channel: 'system:health',
        onEvent: (e) => {
          if (e.type !== 'health.changed') return;
          const h = e.data as HealthChange;
          setHealth((m) => new Map(m).set(healthKey(h), h));
        },
        onExpired: () => void load(true),
      },
    };
    /**
     * The page's state from GET /snapshot (the server's Redis cache; `fresh` when the gateway can no
     * longer replay from what the page has), then each channel followed from the seq its part is at:
     * what committed since arrives on the socket and applies on top.
     */
    const load = async (fresh: boolean) => {
      try {
        const s = await api<Snapshot>('GET', `/snapshot${fresh ? '?fresh=1' : ''}`);
        if (!live) return;
        setTrades(new Map([...s.trades.recent, ...s.trades.live].map((t) => [t.id, t])));
        setBalance(s.account.balanceCents);
        setFills(s.account.fills);
        setSettlements(s.account.settlements);
        setPositions(s.positions.positions);
        setSettings(s.settings.settings);
        setHealth(new Map(s.health.changes.map((h) => [healthKey(h), h])));
        for (const part of Object.keys(follows) as (keyof SnapshotSeqs)[]) l.follow(follows[part], s[part].seq);
      } catch (err) {
        setMessage(err instanceof Error ? err.message : String(err));
      }
    };
    if (me.admin) {
      const loadEveryone = async () => {
        const all = await api<{ trades: TradeSnapshot[] }>(
          'GET',
          '/trades?all=1&status=pending,open,closing&limit=200',
        );
        if (live) setEveryone(new Map(all.trades.map((t) => [t.id, t])));
      };
      l.follow({
        channel: 'trades:*',
        onEvent: (e) => {
          const data = e.data as { trade?: TradeSnapshot };
          if (data.trade) setEveryone((m) => new Map(m).set(data.trade!.id, data.trade!));
        },
        onExpired: () => void loadEveryone(),
      });
      void loadEveryone();
    }
    /**
     * The chart's last five minutes, from the channel's history (GET /replay, the ticks committed
     * since then), under the live ticks already shown: a page opens on a chart, not on one point.
     */
    const loadTicks = async () => {
      try {
        const page = await api<{ events: { type: string; data: unknown }[] }>('GET', chartHistoryPath(Date.now()));
        const past = page.events.filter((e) => e.type === 'price.tick').map((e) => e.data as PriceTick);
        if (live) setTicks((ts) => mergeTicks(past, ts));
      } catch {
        // The chart fills from the live ticks alone.
      }
    };
    l.start();
    void load(false);
    void loadTicks();
    return () => {
      live = false;
      l.stop();
    };
  }, [me.userId]);

  const rows = useMemo(() => new Map((table?.rows ?? []).map((r) => [r.ticker, r])), [table]);
  const all = [...trades.values()].sort((a, b) => b.createdAt - a.createdAt);
  const active = all.filter((t) => LIVE_STATUSES.has(t.status));
  const history = all.filter((t) => !LIVE_STATUSES.has(t.status));
  const tick = ticks.at(-1);
  // The rows auto entry watches for this trader (DOMAIN.md's watchlist, the supervisor's own function).
  const watched = table && settings ? watchlist(table.rows, settings.autoEntry) : [];
  /** The columns of a live trade, wherever one is listed. */
  const liveColumns: Column[] = [
    ['market', (t) => t.marketTicker],
    ['side', (t) => t.side],
    ['count', (t) => t.count],
    ['status', (t) => t.status],
    ['bought', (t) => cents(t.buyPriceCents)],
    ['pnl now', (t) => cents(livePnl(t, rows))],
  ];
  const everyoneLive = [...everyone.values()]
    .filter((t) => LIVE_STATUSES.has(t.status))
    .sort((a, b) => a.userId.localeCompare(b.userId) || b.createdAt - a.createdAt);

  const open = async (row: StrikeRow, side: 'yes' | 'no') => {
    const ask = side === 'yes' ? row.yesAsk : row.noAsk;
    if (ask === null) return;
    try {
      const { trade } = await api<{ trade: TradeSnapshot }>('POST', '/trades', {
        marketTicker: row.ticker,
        side,
        count: 1,
        limitPriceCents: ask,
        tradeId: crypto.randomUUID(),
      });
      seed(trade);
      setMessage(null);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };
  const close = async (t: TradeSnapshot) => {
    try {
      seed((await api<{ trade: TradeSnapshot }>('POST', `/trades/${t.id}/close`)).trade);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };
  const saveSettings = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      const s = await api<{ settings: typeof settings }>('PATCH', '/settings', {
        autoEntry: {
          enabled: f.get('autoEntry.enabled') === 'on',
          minProbability: Number(f.get('autoEntry.minProbability')),
          positionSize: Number(f.get('autoEntry.positionSize')),
        },
        autoStop: {
          enabled: f.get('autoStop.enabled') === 'on',
          stopProbability: Number(f.get('autoStop.stopProbability')),
        },
      });
      setSettings(s.settings);
      setMessage('Settings saved');
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };
  const signOut = async () => {
    try {
      await api('DELETE', '/session');
    } catch (err) {
      // Ended already (401): signed out. Anything else: the session may still hold, so say so and stay.
      if (!(err instanceof ApiError && err.status === 401)) {
        setMessage(`Sign-out failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    setCsrf(undefined);
    onSignedOut();
  };

  return (
    <div class="app">
      <header>
        <h1>recio</h1>
        <span
          class={`link link-${link}`}
          role="status"
          aria-live="polite"
          data-testid="link"
          data-duplicates={stats.duplicates}
          data-resyncs={stats.resyncs}
          data-bad-frames={stats.badFrames}
          title={`duplicates dropped ${stats.duplicates}, gaps resynced ${stats.resyncs}, bad frames ${stats.badFrames}`}
        >
          {link}
        </span>
        <span>
          {me.userId}
          {me.admin ? ' (admin)' : ''}
        </span>
        <button onClick={() => void signOut()}>Sign out</button>
      </header>
      {message && (
        <p class="message" role="alert">
          {message}
        </p>
      )}
      <section aria-labelledby="price-h" class="panel">
        <h2 id="price-h">BTC</h2>
        <p class="price" data-testid="price">
          {tick ? usd(tick.price) : '–'}
        </p>
        <p>
          momentum <span data-testid="momentum">{tick?.momentum?.toFixed(2) ?? '–'}</span>
        </p>
        <PriceChart ticks={ticks} />
      </section>
      <section aria-labelledby="strikes-h" class="panel wide">
        <h2 id="strikes-h">
          Strike table {table ? `· ${table.eventTicker}` : ''}{' '}
          <button onClick={() => setMode(mode === 'diff' ? 'price' : 'diff')} aria-pressed={mode === 'price'}>
            {mode === 'diff' ? 'show prices' : 'show diffs'}
          </button>
        </h2>
        <table data-testid="strikes">
          <thead>
            <tr>
              <th scope="col">strike</th>
              <th scope="col">prob.</th>
              <th scope="col">yes</th>
              <th scope="col">no</th>
            </tr>
          </thead>
          <tbody>
            {(table?.rows ?? []).map((r) => (
              <tr key={r.ticker}>
                <td>{usd(r.strike)}</td>
                <td>{r.probability.toFixed(1)}</td>
                {(['yes', 'no'] as const).map((side) => {
                  const ask = side === 'yes' ? r.yesAsk : r.noAsk;
                  const diff = side === 'yes' ? r.yesDiff : r.noDiff;
                  return (
                    <td key={side}>
                      <button
                        disabled={ask === null}
                        onClick={() => void open(r, side)}
                        aria-label={`buy ${side} ${r.strike} at ${ask ?? '–'}¢`}
                      >
                        {mode === 'diff' ? (diff?.toFixed(1) ?? '–') : `${ask ?? '–'}¢`}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="watch-h" class="panel">
        <h2 id="watch-h">Watchlist</h2>
        <ul data-testid="watchlist">
          {watched.map((r) => (
            <li key={r.ticker} data-ticker={r.ticker}>
              {usd(r.strike)} {r.activeSide} · {r.probability.toFixed(1)}% · diff {r.diff?.toFixed(1) ?? '–'}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="active-h" class="panel wide">
        <h2 id="active-h">Active trades</h2>
        <TradeTable
          testId="active"
          trades={active}
          columns={[
            ...liveColumns,
            [
              'close',
              (t) =>
                t.status === 'open' && (
                  <button onClick={() => void close(t)} aria-label={`close trade ${t.marketTicker} ${t.side}`}>
                    Close
                  </button>
                ),
            ],
          ]}
        />
      </section>
      {me.admin && (
        <section aria-labelledby="everyone-h" class="panel wide">
          <h2 id="everyone-h">All traders: live trades</h2>
          <TradeTable testId="everyone" trades={everyoneLive} columns={[['trader', (t) => t.userId], ...liveColumns]} />
        </section>
      )}
      <section aria-labelledby="history-h" class="panel wide">
        <h2 id="history-h">Trade history</h2>
        <TradeTable
          testId="history"
          trades={history}
          columns={[
            ['market', (t) => t.marketTicker],
            ['side', (t) => t.side],
            ['status', (t) => t.status],
            ['closed by', (t) => t.closeMethod ?? ''],
            ['pnl', (t) => cents(t.pnlCents)],
          ]}
        />
      </section>
      <section aria-labelledby="account-h" class="panel">
        <h2 id="account-h">Account</h2>
        <p>
          balance <span data-testid="balance">{cents(balance)}</span>
        </p>
        <h3>Positions</h3>
        <ul data-testid="positions">
          {positions
            .filter((p) => p.position !== 0)
            .map((p) => (
              <li key={p.ticker}>
                {p.ticker}: {p.position}
              </li>
            ))}
        </ul>
        <h3>Fills</h3>
        <ul data-testid="fills">
          {fills.map((f) => (
            <li key={f.fillId}>
              {f.action} {f.count} {f.side} {f.ticker} at {f.side === 'yes' ? f.yesPrice : f.noPrice}¢
            </li>
          ))}
        </ul>
        <h3>Settlements</h3>
        <ul data-testid="settlements">
          {settlements.map((st) => (
            <li key={st.ticker}>
              {st.ticker}: {st.marketResult}, {cents(st.revenueCents)}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="settings-h" class="panel">
        <h2 id="settings-h">Settings</h2>
        <SpikeGuard guard={health.get(`spike-guard/${me.userId}`)} />
        {settings && (
          <form onSubmit={(e) => void saveSettings(e)} data-testid="settings" key={JSON.stringify(settings)}>
            <CheckField name="autoEntry.enabled" label="auto entry" checked={settings.autoEntry.enabled} />
            <NumberField
              name="autoEntry.minProbability"
              label="min probability"
              value={settings.autoEntry.minProbability}
              max={100}
            />
            <NumberField
              name="autoEntry.positionSize"
              label="position size"
              value={settings.autoEntry.positionSize}
              min={1}
              step="1"
            />
            <CheckField name="autoStop.enabled" label="auto stop" checked={settings.autoStop.enabled} />
            <NumberField
              name="autoStop.stopProbability"
              label="stop probability"
              value={settings.autoStop.stopProbability}
              max={100}
            />
            <button type="submit">Save settings</button>
          </form>
        )}
      </section>
      <section aria-labelledby="health-h" class="panel">
        <h2 id="health-h">System health</h2>
        <ul data-testid="health">
          {[...health.values()]
            .filter((h) => h.component !== 'spike-guard')
            .map((h) => (
              <li key={healthKey(h)} title={h.detail}>
                {h.component}: {h.status}
              </li>
            ))}
        </ul>
      </section>
    </div>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    api<Me>('GET', '/session').then(
      (m) => {
        setCsrf(m.csrfToken);
        setMe(m);
      },
      () => setMe(null),
    );
  }, []);
  if (me === undefined) return <p>Loading…</p>;
  if (me === null)
    return (
      <SignIn
        onSignedIn={(m) => {
          setCsrf(m.csrfToken);
          setMe(m);
        }}
      />
    );
  return <Trading me={me} onSignedOut={() => setMe(null)} />;
}

render(<App />, document.getElementById('app')!);
