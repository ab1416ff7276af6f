// Where a participant stands. The server owns it (the engine moves it, the
// store keeps it); the client shows the end screens, the admin monitor counts
// it and analysis reads it from `status`.

export const PARTICIPANT_STATUSES = [
  'in-progress',
  'completed',
  'no-consent',
  'failed-attention',
  'timed-out',
  'failed-comprehension',
] as const;

export type ParticipantStatus = (typeof PARTICIPANT_STATUSES)[number];

/** The statuses a participant's record ends in. */
export type EndStatus = Exclude<ParticipantStatus, 'in-progress'>;

/**
 * What the researcher sees: the status, or 'abandoned' for a participant still
 * in progress but idle past the slot TTL (their slot is free again). Never stored.
 */
export type ParticipantState = ParticipantStatus | 'abandoned';
