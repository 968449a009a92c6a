-- Up Migration

-- The trading services' tables (DOMAIN.md). A user is a row value (`user_id`), never a table
-- suffix. Money is integer cents; strikes and BTC prices are dollars. Times that the domain
-- decides on (entry, fill, expiry) are the simulated or exchange time carried by events, so a
-- replayed run produces the same rows.

-- btc-price-watchdog: one stored price per second (the last tick of that second), 30 days.
CREATE TABLE price_tick (
  symbol     text          NOT NULL,
  ts         timestamptz   NOT NULL,
  price      numeric(14,2) NOT NULL CHECK (price > 0),
  PRIMARY KEY (symbol, ts)
);

-- Per-user settings (auto entry, auto stop): the validated document and a version that every
-- `settings:<user>` event carries.
CREATE TABLE user_settings (
  user_id    text        PRIMARY KEY,
  settings   jsonb       NOT NULL,
  version    bigint      NOT NULL CHECK (version > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- trade-manager: one row per trade, moved through the lifecycle of DOMAIN.md.
CREATE TABLE trade (
  id                  uuid          PRIMARY KEY,
  user_id             text          NOT NULL,
  symbol              text          NOT NULL,
  event_ticker        text          NOT NULL,
  market_ticker       text          NOT NULL,
  strike              numeric(14,2) NOT NULL,
  side                text          NOT NULL CHECK (side IN ('yes', 'no')),
  count               integer       NOT NULL CHECK (count > 0),
  status              text          NOT NULL CHECK (status IN ('pending', 'open', 'closing', 'closed', 'expired', 'error', 'cancelled')),
  status_reason       text,
  entry_method        text          NOT NULL CHECK (entry_method IN ('manual', 'auto')),
  close_method        text          CHECK (close_method IN ('manual', 'auto', 'expired')),
  close_reason        text,
  limit_price_cents   integer       NOT NULL CHECK (limit_price_cents BETWEEN 1 AND 99),
  buy_price_cents     integer       CHECK (buy_price_cents BETWEEN 1 AND 99),
  close_fill_cents    integer       CHECK (close_fill_cents BETWEEN 1 AND 99),
  sell_price_cents    integer       CHECK (sell_price_cents BETWEEN 0 AND 100),
  fees_cents          integer       NOT NULL DEFAULT 0 CHECK (fees_cents >= 0),
  pnl_cents           integer,
  win_loss            char(1)       CHECK (win_loss IN ('W', 'L')),
  close_attempts      integer       NOT NULL DEFAULT 0,
  -- set once the health event "settlement overdue" (30 min after expiry) has been raised
  settlement_overdue  boolean       NOT NULL DEFAULT false,
  probability         numeric(6,3),
  diff                numeric(7,3),
  momentum            numeric(8,4),
  volatility          numeric(8,5),
  price_at_open       numeric(14,2),
  price_at_close      numeric(14,2),
  market_close_at     timestamptz   NOT NULL,
  created_at          timestamptz   NOT NULL,
  opened_at           timestamptz,
  closing_at          timestamptz,
  expired_at          timestamptz,
  closed_at           timestamptz,
  updated_at          timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX trade_user_created ON trade (user_id, created_at DESC);
-- What the expiry and settlement paths look up: live trades of one market or one close.
CREATE INDEX trade_live_by_close ON trade (market_close_at) WHERE status IN ('pending', 'open', 'closing', 'expired');
CREATE INDEX trade_live_by_market ON trade (user_id, market_ticker) WHERE status IN ('pending', 'open', 'closing', 'expired');

-- trade-manager: settlements it has been told of, so a trade that expires after its market's
-- settlement arrived (the tick and the settlement race) is closed at once, the same as otherwise.
CREATE TABLE trade_settlement (
  user_id        text        NOT NULL,
  ticker         text        NOT NULL,
  market_result  text        NOT NULL CHECK (market_result IN ('yes', 'no')),
  settled_at     timestamptz NOT NULL,
  PRIMARY KEY (user_id, ticker)
);

-- kalshi-account-sync: the exchange's records mirrored (idempotent upserts keyed by its ids).
CREATE TABLE account_balance (
  user_id       text        PRIMARY KEY,
  balance_cents bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_position (
  user_id               text        NOT NULL,
  ticker                text        NOT NULL,
  position              integer     NOT NULL,
  market_exposure_cents bigint      NOT NULL DEFAULT 0,
  realized_pnl_cents    bigint      NOT NULL DEFAULT 0,
  fees_paid_cents       bigint      NOT NULL DEFAULT 0,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, ticker)
);

CREATE TABLE account_fill (
  user_id        text        NOT NULL,
  fill_id        text        NOT NULL,
  order_id       text        NOT NULL,
  ticker         text        NOT NULL,
  side           text        NOT NULL,
  action         text        NOT NULL,
  count          integer     NOT NULL,
  yes_price      integer     NOT NULL,
  no_price       integer     NOT NULL,
  is_taker       boolean     NOT NULL,
  fee_cents      integer,
  created_time   timestamptz NOT NULL,
  PRIMARY KEY (user_id, fill_id)
);

CREATE TABLE account_order (
  user_id         text        NOT NULL,
  order_id        text        NOT NULL,
  client_order_id text,
  ticker          text        NOT NULL,
  side            text        NOT NULL,
  action          text        NOT NULL,
  status          text        NOT NULL,
  yes_price       integer,
  no_price        integer,
  fill_count      integer     NOT NULL DEFAULT 0,
  fees_cents      integer,
  created_time    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, order_id)
);

CREATE TABLE account_settlement (
  user_id        text        NOT NULL,
  ticker         text        NOT NULL,
  market_result  text        NOT NULL,
  yes_count      integer     NOT NULL,
  no_count       integer     NOT NULL,
  revenue_cents  bigint      NOT NULL,
  settled_time   timestamptz NOT NULL,
  PRIMARY KEY (user_id, ticker)
);

-- Each supervisor's copy of the users' settings, applied from `settings:<user>` events in order
-- (keyed by the consuming service), so a tick is decided with the settings the service has seen.
CREATE TABLE settings_copy (
  consumer   text   NOT NULL,
  user_id    text   NOT NULL,
  settings   jsonb  NOT NULL,
  version    bigint NOT NULL,
  PRIMARY KEY (consumer, user_id)
);

-- auto-entry-supervisor: per-user spike guard and per-strike cooldowns, and the live trades it
-- must not enter twice (followed from trades:* events, so it never reads the trade table).
CREATE TABLE auto_entry_state (
  user_id      text        PRIMARY KEY,
  guard        jsonb       NOT NULL,
  last_entries jsonb       NOT NULL DEFAULT '{}',
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auto_entry_live_trade (
  trade_id      uuid PRIMARY KEY,
  user_id       text NOT NULL,
  market_ticker text NOT NULL,
  side          text NOT NULL
);
CREATE INDEX auto_entry_live_trade_user ON auto_entry_live_trade (user_id);

-- active-trade-supervisor: the open trades it watches (from trades:* events) and their stop state.
CREATE TABLE supervised_trade (
  trade_id                 uuid          PRIMARY KEY,
  user_id                  text          NOT NULL,
  market_ticker            text          NOT NULL,
  strike                   numeric(14,2) NOT NULL,
  side                     text          NOT NULL,
  count                    integer       NOT NULL,
  buy_price_cents          integer       NOT NULL,
  opened_at                timestamptz   NOT NULL,
  market_close_at          timestamptz   NOT NULL,
  verification_started_at  timestamptz,
  close_requested_at       timestamptz
);

-- Down Migration
DROP TABLE supervised_trade;
DROP TABLE auto_entry_live_trade;
DROP TABLE auto_entry_state;
DROP TABLE settings_copy;
DROP TABLE account_settlement;
DROP TABLE account_order;
DROP TABLE account_fill;
DROP TABLE account_position;
DROP TABLE account_balance;
DROP TABLE trade_settlement;
DROP TABLE trade;
DROP TABLE user_settings;
DROP TABLE price_tick;
