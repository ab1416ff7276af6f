// The links a researcher is given for a study: the pilot link (each browser
// that opens it is its own pilot participant, kept out of the analysis) and
// the study URL to paste into Prolific, whose placeholders Prolific fills in.
// `serve`/`start` print them; the tests open exactly these.

export function pilotLink(baseUrl: string, studyId: string): string {
  return `${baseUrl}/s/${encodeURIComponent(studyId)}?pilot=1`;
}

export function prolificLink(baseUrl: string, studyId: string): string {
  return `${baseUrl}/s/${encodeURIComponent(studyId)}?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}`;
}
