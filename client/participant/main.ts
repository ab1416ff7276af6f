// Entry of the participant bundle (client/dist/participant.js): registers the
// app element and every question element; participant.html holds the tag.
import '../questions/register.ts';
import './participant-app.ts';
