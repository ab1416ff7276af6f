// What `credence serve` / `start` print about the researcher login: the one-time
// password on first start, and afterwards only where to log in.
import { ADMIN_PASSWORD_ENV } from './index.ts';

export function adminLoginNotice(account: { username: string; password?: string }, adminUrl: string): string[] {
  if (account.password) {
    return [
      `  researcher login:  ${adminUrl}  user ${account.username}  password ${account.password}`,
      `    (shown this once; set ${ADMIN_PASSWORD_ENV} before the first start to choose it, or run \`credence admin reset-password ${account.username}\`)`,
    ];
  }
  return [`  researcher login:  ${adminUrl}  user ${account.username}`];
}
