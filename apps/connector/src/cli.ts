#!/usr/bin/env node
/**
 * `anh-connector <command>`: check-config, run, status. Options are validated with zod;
 * every failure exits non-zero with a message that says what to do.
 */
import { z } from 'zod';
import { formatProblems, loadConfigFile } from './config/load';
import { readConnectorEnv } from './env';
import { createLogger } from './log';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EnrollmentError } from './enroll';
import { CONNECTOR_VERSION } from './index';
import { modbusTagsOf, resolvePath, startConnector, UPLOAD_GRACE_MS } from './runtime';
import { planReads } from './modbus/registers';

const commandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('check-config'), config: z.string().min(1) }),
  z.object({ command: z.literal('run'), config: z.string().min(1) }),
  z.object({
    command: z.literal('trust'),
    config: z.string().min(1),
    accept: z.string().min(1).optional(),
  }),
  z.object({
    command: z.literal('status'),
    port: z.coerce.number().int().min(1).max(65535).default(7070),
  }),
  z.object({ command: z.literal('enroll'), config: z.string().min(1), code: z.string().min(1) }),
  z.object({
    command: z.literal('simulate'),
    wells: z.coerce.number().int().min(1).max(200).default(3),
    'modbus-port': z.coerce.number().int().min(1).max(65535).default(5020),
    'opcua-port': z.coerce.number().int().min(1).max(65535).default(4840),
    'mqtt-url': z
      .string()
      .regex(/^mqtts?:\/\//)
      .default('mqtt://127.0.0.1:1883'),
    'cloud-url': z.string().url().default('http://127.0.0.1:3000'),
    'write-config': z.string().min(1).default('./connector.simulated.yaml'),
  }),
]);

class UsageError extends Error {}

function parseArgs(argv: string[]): z.infer<typeof commandSchema> {
  const [command, ...rest] = argv;
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (!flag.startsWith('--')) throw new UsageError(`unexpected argument "${flag}"`);
    options[flag.slice(2)] = rest[++i] ?? '';
  }
  const parsed = commandSchema.safeParse({ command, ...options });
  if (!parsed.success) {
    throw new UsageError(
      'usage: anh-connector check-config --config connector.yaml | run --config connector.yaml | status [--port 7070] | trust --config connector.yaml [--accept certificate-file] | enroll --config connector.yaml --code ABCD-EFGH-JKLM | simulate [--wells 3] [--write-config file]\n' +
        parsed.error.issues
          .map((i) => `  ${i.path.join('.') || 'command'}: ${i.message}`)
          .join('\n'),
    );
  }
  return parsed.data;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.command === 'status') {
    const response = await fetch(`http://127.0.0.1:${args.port}/status`);
    console.log(JSON.stringify(await response.json(), null, 2));
    return 0;
  }
  if (args.command === 'simulate') {
    const { startSimulatedField, writeSimulatorConfig } = await import('./simulate/field');
    const field = await startSimulatedField({
      wells: args.wells,
      modbusPort: args['modbus-port'],
      opcuaPort: args['opcua-port'],
      mqttUrl: args['mqtt-url'],
      cloudUrl: args['cloud-url'],
    });
    writeSimulatorConfig(args['write-config'], field);
    console.log(
      JSON.stringify({
        event: 'simulator.started',
        modbus: `127.0.0.1:${args['modbus-port']}`,
        opcua: `opc.tcp://127.0.0.1:${args['opcua-port']}`,
        mqtt: args['mqtt-url'],
        config: args['write-config'],
      }),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await field.stop();
    return 0;
  }
  const loaded = loadConfigFile(args.config);
  if (!loaded.ok) {
    console.error(formatProblems(args.config, loaded.problems));
    return 2;
  }
  const config = loaded.config;
  if (args.command === 'check-config') {
    for (const source of config.sources) {
      const tags = config.tags.filter((t) => t.source === source.id);
      console.log(`source ${source.id} (${source.type}): ${tags.length} tags`);
      if (source.type === 'modbus-tcp' || source.type === 'modbus-rtu') {
        for (const block of planReads(modbusTagsOf(config, source.id), source.maxGap)) {
          console.log(
            `  read unit ${block.unitId} ${block.table} ${block.address}..${block.address + block.count - 1} (${block.count} registers, ${block.tags.length} tags)`,
          );
        }
      }
      for (const tag of tags)
        console.log(
          `  ${tag.point}/${tag.variable} [${tag.unit}] ← ${JSON.stringify(tag.modbus ?? tag.opcua ?? tag.mqtt ?? tag.iec104)} → ${tag.binding}`,
        );
    }
    return 0;
  }
  if (args.command === 'trust') {
    // OPC UA server certificates: list what was refused and what is trusted; accept one.
    const { certificateManager } = await import('./opcua/source');
    for (const source of config.sources) {
      if (source.type !== 'opcua') continue;
      const pkiDir = resolvePath(args.config, source.pkiDir);
      const store = certificateManager(pkiDir);
      await store.initialize();
      if (args.accept) {
        const file = join(pkiDir, 'rejected', basename(args.accept));
        if (!existsSync(file)) continue;
        await store.trustCertificate(readFileSync(file));
        rmSync(file);
        console.log(`trusted ${basename(args.accept)} for source ${source.id}`);
        return 0;
      }
      for (const folder of ['rejected', join('trusted', 'certs')]) {
        const path = join(pkiDir, folder);
        const files = existsSync(path) ? readdirSync(path) : [];
        console.log(
          `${source.id} ${folder.startsWith('trusted') ? 'trusted' : 'rejected'}: ${files.length ? files.join(', ') : '(none)'}`,
        );
      }
    }
    if (args.accept) throw new UsageError(`no rejected certificate named ${args.accept}`);
    return 0;
  }
  const credentialPath = resolvePath(args.config, config.connector.credentialFile);
  if (args.command === 'enroll') {
    const { enroll } = await import('./enroll');
    const result = await enroll({
      cloudUrl: config.connector.cloudUrl,
      code: args.code,
      configPath: args.config,
      credentialPath,
      version: CONNECTOR_VERSION,
    });
    console.log(
      JSON.stringify({ event: 'connector.enrolled', ...result, credentialFile: credentialPath }),
    );
    return 0;
  }
  const env = readConnectorEnv();
  const connectorId = env.ANH_CONNECTOR_ID ?? config.connector.id;
  if (!connectorId)
    throw new UsageError(
      'no connector id: run `anh-connector enroll --config … --code …` first (or set ANH_CONNECTOR_ID)',
    );
  const { readCredentialFile } = await import('./enroll');
  const credential = env.ANH_CONNECTOR_CREDENTIAL ?? readCredentialFile(credentialPath);
  if (!credential)
    throw new UsageError(
      `no credential: run \`anh-connector enroll\` (it writes ${credentialPath}) or set ANH_CONNECTOR_CREDENTIAL`,
    );
  const log = createLogger('info', { service: 'connector', connectorId });
  const runtime = await startConnector({
    config,
    configPath: args.config,
    connectorId,
    credential,
    statusPort: env.ANH_CONNECTOR_STATUS_PORT,
    log,
  });
  log.info('connector started', {
    sources: config.sources.length,
    tags: config.tags.length,
    unsupportedSources: runtime.unsupportedSources,
    status: runtime.statusUrl,
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info('connector stopping', { signal });
  // A second signal, or a stop that hangs (a device that never answers its goodbye), ends
  // the process anyway: the buffer is durable, and what was not acknowledged goes again.
  const force = (why: string) => {
    log.error('connector stopped without finishing', { why });
    process.exit(1);
  };
  process.once('SIGTERM', () => force('second SIGTERM'));
  process.once('SIGINT', () => force('second SIGINT'));
  setTimeout(() => force('stop took too long'), UPLOAD_GRACE_MS + 20_000).unref();
  await runtime.stop();
  log.info('connector stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof UsageError || error instanceof EnrollmentError ? error.message : error,
    );
    process.exit(error instanceof UsageError ? 64 : 1);
  },
);
