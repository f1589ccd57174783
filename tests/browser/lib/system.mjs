// A whole chat system for the browser tests, as real processes: a throwaway PostgreSQL (started by
// tests/Chat.Testing/watchdog.sh, which removes it when this process dies), one silo that loads the
// demo data, and frontends on fixed ports so that a restarted frontend comes back at the same URL.
// The silo and frontend are the Release builds (./chat test builds them before running these tests).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './wait.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
const CONFIGURATION = process.env.CHAT_CONFIGURATION ?? 'Release';
const SILO_DLL = path.join(ROOT, `src/Chat.Silo/bin/${CONFIGURATION}/net10.0/Chat.Silo.dll`);
const FRONTEND_DLL = path.join(ROOT, `src/Chat.Frontend/bin/${CONFIGURATION}/net10.0/Chat.Frontend.dll`);

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function findPostgresBin() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (fs.existsSync(path.join(dir, 'postgres')) && fs.existsSync(path.join(dir, 'initdb'))) return path.dirname(fs.realpathSync(path.join(dir, 'postgres')));
  }
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (fs.existsSync(path.join(dir, 'postgres')) && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL server binaries (initdb, postgres) not found; ./chat test installs them');
}

async function httpStatus(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return response.status;
  } catch {
    return 0;
  }
}

/** One silo or frontend process; its output goes to a log file under the system's directory. */
class HostProcess {
  constructor(name, dll, url, env, logDir) {
    this.name = name;
    this.dll = dll;
    this.url = url;
    this.env = env;
    this.logFile = path.join(logDir, `${name}.log`);
    this.child = null;
  }

  start() {
    if (!fs.existsSync(this.dll)) throw new Error(`${this.dll} is missing: build with dotnet build -c ${CONFIGURATION} (./chat test does)`);
    fs.appendFileSync(this.logFile, `=== ${new Date().toISOString()} starting ${this.name} on ${this.url}\n`);
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn('dotnet', [this.dll, '--urls', this.url, '--contentRoot', path.dirname(this.dll)], {
      env: { ...process.env, ...this.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const child = this.child;
    children.add(child);
    child.on('exit', (code, signal) => {
      child.exited = { code, signal };
      children.delete(child);
    });
  }

  alive() {
    return this.child !== null && !this.child.exited;
  }

  async waitReady(timeoutMs = 120_000) {
    await eventually(
      async () => {
        if (!this.alive()) throw Object.assign(new Error(`${this.name} exited during startup:\n${this.tail()}`), { fatal: true });
        return (await httpStatus(`${this.url}/health/ready`)) === 200;
      },
      { timeoutMs, what: `${this.name} to be ready`, details: () => this.tail() },
    );
  }

  /** Graceful stop (SIGTERM: a frontend tells its clients to reconnect), or SIGKILL. */
  async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
    const child = this.child;
    if (!child || child.exited) return;
    child.kill(signal);
    try {
      await eventually(() => !!child.exited, { timeoutMs, what: `${this.name} to exit` });
    } catch {
      child.kill('SIGKILL');
      await eventually(() => !!child.exited, { timeoutMs: 10_000, what: `${this.name} to die` });
    }
  }

  tail(lines = 40) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

// Silos and frontends never outlive the test process, however it ends.
const children = new Set();
process.on('exit', () => {
  for (const child of children) if (!child.exited) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(130));
}

export class ChatSystem {
  static async start({ frontends = 2, settings = {} } = {}) {
    const system = new ChatSystem();
    try {
      await system.#start(frontends, settings);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  constructor() {
    const parent = process.env.CHAT_TEST_TMP || os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(parent, 'chat-browser-'));
    fs.chmodSync(this.dir, 0o755);
    this.logDir = path.join(ROOT, 'artifacts/browser-logs');
    fs.rmSync(this.logDir, { recursive: true, force: true });
    fs.mkdirSync(this.logDir, { recursive: true });
    this.silos = [];
    this.frontends = [];
    this.watchdog = null;
  }

  async #start(frontendCount, settings) {
    // PostgreSQL, watched: the watchdog stops it and deletes its files when this process goes away.
    const bin = findPostgresBin();
    const pgPort = await freePort();
    const pgRoot = path.join(this.dir, 'pg');
    fs.mkdirSync(pgRoot);
    const runAs = process.getuid?.() === 0 ? 'postgres' : '';
    this.pgRoot = pgRoot;
    this.watchdog = spawn('setsid', ['bash', path.join(ROOT, 'tests/Chat.Testing/watchdog.sh'), String(process.pid), pgRoot, String(pgPort), runAs, bin], {
      stdio: 'ignore',
      detached: false,
    });
    const psqlPath = fs.existsSync(path.join(bin, 'psql')) ? path.join(bin, 'psql') : 'psql';
    const psql = (sql, db = 'postgres') =>
      execFileSync(psqlPath, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', db, '-tAc', sql], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      }).toString();
    await eventually(
      () => {
        if (fs.existsSync(path.join(pgRoot, 'failed'))) throw new Error(`PostgreSQL failed to start: ${fs.readFileSync(path.join(pgRoot, 'failed'), 'utf8')}`);
        try {
          return psql('SELECT 1').trim() === '1';
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000, what: 'PostgreSQL to accept connections' },
    );
    psql('CREATE DATABASE chat');
    this.connectionString = `Host=127.0.0.1;Port=${pgPort};Username=postgres;Database=chat;Include Error Detail=true`;
    this.clusterId = `browser-${process.pid}`;

    this.common = {
      Chat__Database__ConnectionString: this.connectionString,
      Chat__Silo__ClusterId: this.clusterId,
      Chat__Auth__PasswordHashIterations: '1000',
      Chat__Limits__MessagesPerMinute: '60',
      ...settings,
    };

    await this.startSilo({ demo: true });
    for (let i = 0; i < frontendCount; i++) {
      const port = await freePort();
      this.frontends.push(
        new HostProcess(`frontend-${i + 1}`, FRONTEND_DLL, `http://127.0.0.1:${port}`, { ...this.common, Chat__Frontend__Name: `frontend-${i + 1}` }, this.logDir),
      );
    }
    for (const f of this.frontends) f.start();
    for (const f of this.frontends) await f.waitReady();
  }

  async startSilo({ demo = false } = {}) {
    const n = this.silos.length + 1;
    const port = await freePort();
    const siloPort = await freePort();
    const gatewayPort = await freePort();
    const silo = new HostProcess(
      `silo-${n}`,
      SILO_DLL,
      `http://127.0.0.1:${port}`,
      { ...this.common, Chat__Silo__Name: `silo-${n}`, Chat__Silo__SiloPort: `${siloPort}`, Chat__Silo__GatewayPort: `${gatewayPort}`, Chat__Cluster__HttpUrl: `http://127.0.0.1:${port}`, Chat__Demo__Load: demo ? 'true' : 'false' },
      this.logDir,
    );
    this.silos.push(silo);
    silo.start();
    await silo.waitReady();
    return silo;
  }

  frontendUrl(i = 0) {
    return this.frontends[i].url;
  }

  /** Stops a frontend (gracefully or with SIGKILL); restartFrontend brings it back on the same URL. */
  async stopFrontend(i, signal = 'SIGTERM') {
    await this.frontends[i].stop(signal);
  }

  async restartFrontend(i) {
    const f = this.frontends[i];
    if (f.alive()) await f.stop();
    f.start();
    await f.waitReady();
  }

  async stop() {
    for (const f of this.frontends) await f.stop().catch(() => {});
    for (const s of this.silos) await s.stop().catch(() => {});
    if (this.pgRoot && fs.existsSync(this.pgRoot)) {
      fs.writeFileSync(path.join(this.pgRoot, 'stop'), '');
      await eventually(() => !fs.existsSync(this.pgRoot), { timeoutMs: 30_000, what: 'PostgreSQL to stop' }).catch(() => {});
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
