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
  /* 4: participant kinds (real | pilot | bot), the server's own page timing, study states, purges of test data */ `
  ALTER TABLE participants ADD COLUMN kind TEXT NOT NULL DEFAULT 'real';
  -- Before kinds existed: bots joined with STUDY_ID 'bots', and a record without a Prolific id came through a test link.
  UPDATE participants SET kind = 'bot' WHERE prolific_study_id = 'bots';
  UPDATE participants SET kind = 'pilot' WHERE kind = 'real' AND prolific_pid IS NULL;
  CREATE TRIGGER participants_kind_fixed BEFORE UPDATE OF kind ON participants BEGIN SELECT RAISE(ABORT, 'a participant''s kind never changes'); END;
  CREATE TRIGGER participants_real_kept BEFORE DELETE ON participants WHEN OLD.kind = 'real' BEGIN SELECT RAISE(ABORT, 'real participants are never deleted'); END;

  -- Responses stay append-only for real participants; pilot and bot data may be purged.
  DROP TRIGGER responses_append_only_d;
  DROP TRIGGER answers_append_only_d;
  CREATE TRIGGER responses_append_only_d BEFORE DELETE ON responses
    WHEN COALESCE((SELECT kind FROM participants WHERE id = OLD.participant_id), 'real') = 'real'
    BEGIN SELECT RAISE(ABORT, 'responses are append-only'); END;
  CREATE TRIGGER answers_append_only_d BEFORE DELETE ON answers
    WHEN COALESCE((SELECT p.kind FROM responses r JOIN participants p ON p.id = r.participant_id WHERE r.id = OLD.response_id), 'real') = 'real'
    BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;

  -- The server's own observation of the page (sent → answered) and whether the reported time contradicts it.
  ALTER TABLE responses ADD COLUMN rt_server_ms REAL;
  ALTER TABLE responses ADD COLUMN rt_inconsistent INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE study_states (
    study_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
    changed_at INTEGER NOT NULL
  );

  -- The one sanctioned delete, logged.
  CREATE TABLE purges (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL,
    kinds TEXT NOT NULL,
    participants INTEGER NOT NULL,
    responses INTEGER NOT NULL,
    at INTEGER NOT NULL
  );
  `,
  /* 5: a place in a condition goes to a person (issue 13): set when the participant consented (with a
        well-formed recruiter id when the protocol declares a recruiter); records made before held theirs from the start */ `
  ALTER TABLE participants ADD COLUMN place_at INTEGER;
  UPDATE participants SET place_at = started_at;
  CREATE INDEX events_by_participant_type ON events (participant_id, type, at);
  `,
  /* 6: deadlines owned by the database (issue 15): with several server processes, the one that claims a due
        deadline expires it (a claim is for one deadline and lapses after a lease, so a dead claimer's are taken over) */ `
  CREATE TABLE deadline_claims (
    participant_id TEXT PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,
    due_at INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL
  );
  CREATE INDEX participants_page_due ON participants (deadline_at) WHERE status = 'in-progress';
  CREATE INDEX participants_study_due ON participants (study_deadline_at) WHERE status = 'in-progress';
  `,
  /* 7: a participant's page plan in its own table (written once, read through a cache): in the participants
        row it made every submit's progress update rewrite the plan's overflow pages (a study's plan with its
        questions is 10-20 kB), and every read of a later column walk them; and the places counted at each join
        read from a covering index instead of every participant's row */ `
  CREATE TABLE participant_plans (
    participant_id TEXT PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,
    plan_json TEXT NOT NULL
  );
  INSERT INTO participant_plans (participant_id, plan_json) SELECT id, plan_json FROM participants;
  ALTER TABLE participants DROP COLUMN plan_json;
  CREATE INDEX participants_places ON participants (study_id, version, condition, status, last_seen_at, place_at) WHERE place_at IS NOT NULL;
  `,
  /* 8: researcher accounts and sessions among the migrations (issue 15); before, the auth module created them
        itself with IF NOT EXISTS, so a database that has them keeps their rows */ `
  CREATE TABLE IF NOT EXISTS researcher_accounts (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS researcher_sessions (
    -- sha256 of the cookie value: a copy of the database does not hand out live sessions.
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES researcher_accounts(username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS researcher_sessions_expiry ON researcher_sessions(expires_at);
  `,
  /* 9: a participant's page count stored when the plan is written (participants.pages_total): analysis
        counted it with json_array_length over every stored plan (10-20 kB each), about 1 CPU s at 100k
        participants; existing rows get their count from their plan. And the answers in the long read's order
        (response_id, then rowid, as a plain index on response_id keeps them): the primary key's index orders a
        response's answers by question id, so every read sorted each response's answers again (about 0.5 CPU s
        a million answers) */ `
  ALTER TABLE participants ADD COLUMN pages_total INTEGER NOT NULL DEFAULT 0;
  UPDATE participants SET pages_total = COALESCE((SELECT json_array_length(plan_json) FROM participant_plans WHERE participant_id = participants.id), 0);
  CREATE INDEX answers_in_order ON answers (response_id);
  `,
];
