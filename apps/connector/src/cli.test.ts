import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENROLLED_CONNECTOR_ID, ENROLLMENT_CODE, startTestCloud } from '../test/cloud-endpoint';

const cliAsync = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'cli.ts'), ...args],
      { env: { ...process.env, ANH_CONNECTOR_CREDENTIAL: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ANH_CONNECTOR_CREDENTIAL: '' },
  });

describe('anh-connector CLI', () => {
  it('check-config prints the effective mapping and the Modbus read plan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anh-cli-'));
    try {
      const file = join(dir, 'ok.yaml');
      writeFileSync(
        file,
        `version: 1
connector: { cloudUrl: "http://127.0.0.1:4000" }
sources: [{ id: plc1, type: modbus-tcp, host: 127.0.0.1 }]
tags:
  - { source: plc1, binding: b1, point: W-001, variable: tubing_head_pressure, unit: psig, modbus: { address: 100 } }
  - { source: plc1, binding: b2, point: W-001, variable: casing_head_pressure, unit: psig, modbus: { address: 102 } }
`,
      );
      const ok = cli('check-config', '--config', file);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain('read unit 1 holding 100..103 (4 registers, 2 tags)');
      expect(ok.stdout).toContain('W-001/tubing_head_pressure [psig]');

      const bad = join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        `version: 1
connector: { cloudUrl: "http://127.0.0.1:4000" }
sources: [{ id: plc1, type: modbus-tcp, host: 127.0.0.1 }]
tags:
  - { source: plc1, binding: b1, point: W-001, variable: tubing_head_presure, unit: psig, modbus: { address: 100 } }
  - { source: plc1, binding: b2, point: W-001, variable: casing_head_pressure, unit: psig, modbus: { address: 101 } }
`,
      );
      const refused = cli('check-config', '--config', bad);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(
        /bad\.yaml:5:\d+ tags\.0\.variable: unknown variable "tubing_head_presure"/,
      );
      expect(refused.stderr).toMatch(
        /bad\.yaml:6:\d+ tags\.1\.modbus\.address: registers overlap with tag 0/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad usage and a run without credentials, saying what to do', () => {
    const usage = cli('frobnicate');
    expect(usage.status).toBe(64);
    expect(usage.stderr).toContain('usage: anh-connector');
  });

  it('enroll trades a one-time code for the id (into the config, comments kept) and the credential (0600 file)', async () => {
    const cloud = await startTestCloud('key42.s3cret-from-enrollment');
    const dir = mkdtempSync(join(tmpdir(), 'anh-enroll-'));
    try {
      const file = join(dir, 'connector.yaml');
      writeFileSync(
        file,
        `version: 1
# Campo Rubí, estación central
connector:
  cloudUrl: "${cloud.url}"
sources: [{ id: plc1, type: modbus-tcp, host: 127.0.0.1 }]
tags:
  - { source: plc1, binding: b1, point: W-001, variable: tubing_head_pressure, unit: psig, modbus: { address: 100 } }
`,
      );
      const enrolled = await cliAsync(
        'enroll',
        '--config',
        file,
        '--code',
        ENROLLMENT_CODE.toLowerCase(),
      );
      expect(enrolled.status).toBe(0);
      const config = readFileSync(file, 'utf8');
      expect(config).toContain(`id: ${ENROLLED_CONNECTOR_ID}`);
      expect(config).toContain('# Campo Rubí, estación central');
      const credentialFile = join(dir, 'data', 'credential');
      expect(readFileSync(credentialFile, 'utf8').trim()).toBe('key42.s3cret-from-enrollment');
      expect(statSync(credentialFile).mode & 0o777).toBe(0o600);
      expect(config).not.toContain('s3cret');

      const again = await cliAsync('enroll', '--config', file, '--code', ENROLLMENT_CODE);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('the code is unknown, expired or already used');
    } finally {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
