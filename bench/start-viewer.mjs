// A real `agent-trace view` process for the bench rows that time the viewer: started on port 0, resolved with
// the URL it prints. Kept outside bench/rows (every file there is a group of rows).
import { spawn } from 'node:child_process';

export function startViewer(bin, dir, { sessionId, env } = {}) {
  const args = [bin, 'view', ...(sessionId ? [sessionId] : []), '--no-open', '--port', '0', '--dir', dir];
  const child = spawn(process.execPath, args, { ...(env ? { env } : {}), stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /agent-trace viewer: (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`viewer exited with ${code}`)));
  });
}
