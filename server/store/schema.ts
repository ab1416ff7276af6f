// SQLite schema, one migration per user_version step. A migration never edits
// an earlier one: a database made by any past version upgrades in order.

export const MIGRATIONS: string[] = [
  /* 1 */ `
  CREATE TABLE studies (
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    protocol_json TEXT NOT NULL,
    file TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
  );

  CREATE TABLE stimuli (
    study_id TEXT NOT NULL,
    version TEXT NOT NULL,
    stimulus_id TEXT NOT NULL,
    pool TEXT NOT NULL,
    text TEXT NOT NULL,
    label_json TEXT NOT NULL,
    source TEXT NOT NULL,
    model TEXT,
    model_size TEXT,
    sampling TEXT,
    length_words INTEGER NOT NULL,
    boundary INTEGER,
    sentences_json TEXT,
    provenance_json TEXT,
    PRIMARY KEY (study_id, version, stimulus_id)
  );

  CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    study_id TEXT NOT NULL,
    version TEXT NOT NULL,
    idx INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prolific_pid TEXT,
    prolific_study_id TEXT,
    prolific_session_id TEXT,
    condition TEXT NOT NULL,
    seed INTEGER NOT NULL,
    plan_json TEXT NOT NULL,
    page_index INTEGER NOT NULL,
    page_started_at INTEGER NOT NULL,
    deadline_at INTEGER,
    study_deadline_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    flagged INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    last_seen_at INTEGER NOT NULL,
    UNIQUE (study_id, prolific_pid),
    UNIQUE (study_id, version, idx)
  );
  CREATE INDEX participants_by_study ON participants (study_id, version, status);
  CREATE INDEX participants_by_deadline ON participants (status, deadline_at);

  -- One row per accepted submission or timeout: the append-only response log.
  CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    client_id TEXT NOT NULL,
    page_index INTEGER NOT NULL,
    page_kind TEXT NOT NULL,
    block TEXT,
    trial_index INTEGER,
    stimulus_id TEXT,
    rt_ms REAL,
    timed_out INTEGER NOT NULL,
    events_json TEXT NOT NULL,
    blur_count INTEGER NOT NULL,
    submitted_at INTEGER NOT NULL,
    UNIQUE (participant_id, client_id)
  );
  CREATE INDEX responses_by_client ON responses (client_id);

  -- One row per question of a response.
  CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id),
    question_id TEXT NOT NULL,
    question_type TEXT NOT NULL,
    value_json TEXT,
    value_num REAL,
    value_text TEXT,
    correct INTEGER,
    PRIMARY KEY (response_id, question_id)
  );

  CREATE TRIGGER responses_append_only_u BEFORE UPDATE ON responses BEGIN SELECT RAISE(ABORT, 'responses are append-only'); END;
  CREATE TRIGGER responses_append_only_d BEFORE DELETE ON responses BEGIN SELECT RAISE(ABORT, 'responses are append-only'); END;
  CREATE TRIGGER answers_append_only_u BEFORE UPDATE ON answers BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
  CREATE TRIGGER answers_append_only_d BEFORE DELETE ON answers BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    participant_id TEXT NOT NULL,
    type TEXT NOT NULL,
    page_index INTEGER,
    data_json TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX events_by_participant ON events (participant_id);

  CREATE TABLE detector_scores (
    study_id TEXT NOT NULL,
    stimulus_id TEXT NOT NULL,
    detector TEXT NOT NULL,
    model_hash TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (study_id, stimulus_id, detector, model_hash, metric)
  );
  `,
  /* 2: what server/stimuli adds to a stimulus */ `
  ALTER TABLE stimuli ADD COLUMN prompt TEXT;
  ALTER TABLE stimuli ADD COLUMN gltr_json TEXT;
  `,
  /* 3: the human text a stimulus is or came from (distinct_by: source); \`source\` above is its label's human|machine */ `
  ALTER TABLE stimuli ADD COLUMN source_text TEXT;
  `,
];
