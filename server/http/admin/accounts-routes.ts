// Researcher accounts from inside the admin area: list them, add a colleague,
// change one's own password (which ends one's other sessions).
import express, { type Router } from 'express';
import { z } from 'zod';
import { checkPassword, createAccount, listAccounts, NewPasswordSchema, setPassword, UsernameSchema } from '../../auth/accounts.ts';
import type { AuthState } from '../../auth/auth-context.ts';
import { deleteOtherSessions } from '../../auth/sessions.ts';
import { sessionOf } from './guard.ts';
import { firstIssue } from '../../../studies/issues.ts';

const NewAccountBody = z.object({ username: UsernameSchema, password: NewPasswordSchema }).strict();
const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1, 'currentPassword: required').max(1024), newPassword: NewPasswordSchema })
  .strict();

function bodyIssue(error: z.ZodError): { error: string; field: string } {
  const m = firstIssue(error, { root: 'body' });
  // Some messages name their field already ('currentPassword: required').
  return { error: m.message.includes(':') ? m.message : m.error, field: m.field ?? 'body' };
}

/** Mounted behind requireSession and requireCsrf. */
export function accountsRoutes(auth: AuthState): Router {
  const router = express.Router();
  const json = express.json({ limit: '8kb' });

  router.get('/api/admin/accounts', async (_req, res) => {
    res.json({ accounts: await listAccounts(auth.db) });
  });

  router.post('/api/admin/accounts', json, async (req, res) => {
    const parsed = NewAccountBody.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json(bodyIssue(parsed.error));
    const created = await createAccount(auth.db, parsed.data.username, parsed.data.password);
    if (!created) return res.status(409).json({ error: `username '${parsed.data.username}' is taken`, field: 'username' });
    res.status(201).json({ username: parsed.data.username });
  });

  router.post('/api/admin/password', json, async (req, res) => {
    const parsed = PasswordChangeBody.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json(bodyIssue(parsed.error));
    const { session, sessionId } = sessionOf(res);
    if (!(await checkPassword(auth.db, session.username, parsed.data.currentPassword))) {
      return res.status(403).json({ error: 'currentPassword: wrong password', field: 'currentPassword' });
    }
    await setPassword(auth.db, session.username, parsed.data.newPassword);
    await deleteOtherSessions(auth.db, session.username, sessionId);
    res.status(204).end();
  });

  return router;
}
