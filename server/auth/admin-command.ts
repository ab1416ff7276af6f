// `credence admin list|add|reset-password [--db FILE|URL]`: researcher accounts from
// the command line, for the first account's lost one-time password and for
// adding colleagues without a browser. The CLI registers it with registerAdmin.
import type { Command } from 'commander';
import { createAccount, listAccounts, NewPasswordSchema, setPassword, UsernameSchema, hasAccount } from './accounts.ts';
import { closeAuth, type AuthContext, authFor } from './auth-context.ts';
import { ADMIN_PASSWORD_ENV } from './index.ts';
import { generatePassword } from './passwords.ts';
import { UsageError } from '../cli/usage.ts';
import { dbOption } from '../cli/options.ts';
import { openStore } from '../store/open.ts';
import { firstIssue } from '../../studies/issues.ts';

/** The password to set: CREDENCE_ADMIN_PASSWORD when given (checked), else a generated one to print. */
function chosenPassword(env: NodeJS.ProcessEnv): { password: string; generated: boolean } {
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const ok = NewPasswordSchema.safeParse(fromEnv);
    if (!ok.success) throw new Error(firstIssue(ok.error, { root: ADMIN_PASSWORD_ENV }).error);
    return { password: fromEnv, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

function checkedUsername(username: string): string {
  const ok = UsernameSchema.safeParse(username);
  if (!ok.success) throw new Error(firstIssue(ok.error).message);
  return username;
}

/** Adds an account; returns the password when it was generated. */
export async function addResearcher(ctx: AuthContext, username: string, env: NodeJS.ProcessEnv = process.env): Promise<{ password?: string }> {
  const { db } = authFor(ctx);
  const { password, generated } = chosenPassword(env);
  if (!(await createAccount(db, checkedUsername(username), password))) throw new Error(`username '${username}' is taken`);
  return generated ? { password } : {};
}

/** Sets a new password and ends every session of that account; returns the password when generated. */
export async function resetResearcherPassword(ctx: AuthContext, username: string, env: NodeJS.ProcessEnv = process.env): Promise<{ password?: string }> {
  const { db } = authFor(ctx);
  if (!(await hasAccount(db, username))) throw new Error(`no researcher account '${username}'`);
  const { password, generated } = chosenPassword(env);
  await setPassword(db, username, password);
  await db.deleteSessionsOf(username);
  return generated ? { password } : {};
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('Researcher accounts for /admin');
  const run = (fn: (ctx: AuthContext) => Promise<void>) => async (...args: unknown[]) => {
    const opts = args.find((a) => a && typeof a === 'object' && 'db' in (a as object)) as { db: string };
    // Not reachable or not migratable: a StorageError naming the database (exit 2) from openStore itself.
    const store = await openStore({ db: opts.db });
    const ctx: AuthContext = { store };
    try {
      await fn(ctx);
    } catch (err) {
      // A bad username or password, a taken or unknown account: all the caller's to fix (exit 2).
      throw err instanceof UsageError ? err : new UsageError(err instanceof Error ? err.message : String(err));
    } finally {
      closeAuth(ctx);
      await store.close();
    }
  };
  admin
    .command('list')
    .description('List researcher accounts')
    .addOption(dbOption())
    .action(
      run(async (ctx) => {
        for (const a of await listAccounts(authFor(ctx).db)) console.log(`${a.username}  created ${new Date(a.createdAt).toISOString()}`);
      }),
    );
  admin
    .command('add')
    .description(`Add a researcher account (password from ${ADMIN_PASSWORD_ENV}, or generated and printed once)`)
    .argument('<username>')
    .addOption(dbOption())
    .action((username: string, o: { db: string }) =>
      run(async (ctx) => {
        const r = await addResearcher(ctx, username);
        console.log(r.password ? `added ${username}; password ${r.password} (shown once)` : `added ${username}`);
      })(o),
    );
  admin
    .command('reset-password')
    .description(`Set a new password (from ${ADMIN_PASSWORD_ENV}, or generated and printed once) and end that account's sessions`)
    .argument('<username>')
    .addOption(dbOption())
    .action((username: string, o: { db: string }) =>
      run(async (ctx) => {
        const r = await resetResearcherPassword(ctx, username);
        console.log(r.password ? `new password for ${username}: ${r.password} (shown once)` : `password of ${username} set`);
      })(o),
    );
}
