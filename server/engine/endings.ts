// How a participant's study ends: the message they read, and the Prolific
// completion code and redirect their ending earns.
import type { Protocol } from '../../studies/protocol.ts';
import type { EndStatus } from '../../studies/vocabulary/participant-wire.ts';
import type { ParticipantRecord } from '../store/store.ts';

export interface DoneView {
  status: EndStatus;
  code?: string;
  redirectUrl?: string;
  message: string;
}

const MESSAGES: Record<EndStatus, string> = {
  completed: 'Thank you. Your answers are saved and the study is complete.',
  'no-consent': 'You chose not to take part, so the study has ended. Thank you for your time.',
  'failed-attention': 'The study has ended because an attention check was not passed.',
  'timed-out': 'The study has ended because its time limit has passed.',
  'failed-comprehension': 'The study has ended because the comprehension questions were not answered correctly. Please return your submission.',
};

const CODE_KEY: Partial<Record<EndStatus, 'completed' | 'no_consent' | 'failed_attention' | 'timed_out'>> = {
  completed: 'completed',
  'no-consent': 'no_consent',
  'failed-attention': 'failed_attention',
  'timed-out': 'timed_out',
};

export function doneView(p: ParticipantRecord, protocol: Protocol): DoneView {
  const status = p.status as EndStatus;
  const prolific = protocol.recruitment.prolific;
  const key = CODE_KEY[status];
  const code = prolific && key ? prolific.completion_codes[key] : undefined;
  return {
    status,
    message: MESSAGES[status],
    ...(code ? { code } : {}),
    // Preview never sends the researcher to Prolific.
    ...(code && prolific && !p.preview ? { redirectUrl: prolific.redirect.replace('{code}', encodeURIComponent(code)) } : {}),
  };
}
