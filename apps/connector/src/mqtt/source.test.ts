import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import spPayload from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BufferedSample } from '../buffer/store';
import { startTestBroker, type TestBroker } from '../../test/mosquitto';
import { MqttSource, type MqttTag } from './source';
import { until } from '../../test/wait';

const sparkplug = spPayload.get('spBv1.0')!;
let broker: TestBroker;
let publisher: MqttClient;

beforeAll(async () => {
  broker = await startTestBroker();
  publisher = await mqtt.connectAsync(broker.url, {
    username: broker.username,
    password: broker.password,
    ca: readFileSync(broker.caFile),
    clientId: 'edge-simulator',
  });
}, 30_000);

afterAll(async () => {
  await publisher?.endAsync();
  await broker?.stop();
});

const tag = (binding: string, topic: string, extra: Partial<MqttTag> = {}): MqttTag => ({
  binding,
  priority: 0,
  scale: 1,
  offset: 0,
  topic,
  ...extra,
});

describe('MQTT source against Mosquitto with TLS and a password file', () => {
  it('refuses a wrong password and an untrusted server certificate', async () => {
    const wrong = new MqttSource({
      source: {
        id: 'm',
        type: 'mqtt',
        url: broker.url,
        qos: 1,
        format: 'json',
        username: broker.username,
        caFile: broker.caFile,
      },
      tags: [],
      sink: () => undefined,
      password: 'nope',
    });
    await expect(wrong.start()).rejects.toThrow(/Not authorized|Bad username|unauthorized/i);
    await wrong.stop();
    const untrusted = new MqttSource({
      source: {
        id: 'm',
        type: 'mqtt',
        url: broker.url,
        qos: 1,
        format: 'json',
        username: broker.username,
      },
      tags: [],
      sink: () => undefined,
      password: broker.password,
    });
    await expect(untrusted.start()).rejects.toThrow(/certificate/i);
    await untrusted.stop();
  });

  it('reads JSON topics with QoS 1: value by path, source timestamp, Bad for a non-number', async () => {
    const received: BufferedSample[] = [];
    const source = new MqttSource({
      source: {
        id: 'mqtt1',
        type: 'mqtt',
        url: broker.url,
        qos: 1,
        format: 'json',
        username: broker.username,
        caFile: broker.caFile,
      },
      tags: [
        tag('thp', 'campo/w1', { field: 'data.thp' }),
        tag('chp', 'campo/w1', { field: 'data.chp', scale: 6.894757 }),
      ],
      sink: (s) => received.push(...s),
      password: broker.password,
    });
    await source.start();
    await publisher.publishAsync(
      'campo/w1',
      JSON.stringify({ ts: '2026-11-27T15:00:00.000Z', data: { thp: 851.5, chp: 'n/a' } }),
      { qos: 1 },
    );
    await until(() => received.length === 2);
    expect(received).toEqual([
      expect.objectContaining({
        binding: 'thp',
        value: 851.5,
        ts: Date.UTC(2026, 10, 27, 15),
        status: 0,
      }),
      expect.objectContaining({ binding: 'chp', value: null, status: 2 }),
    ]);
    // The broker restarts: the source reconnects and subscribes again by itself.
    await broker.restart();
    await until(() => source.status().state === 'connected' && publisher.connected, 15_000);
    await publisher.publishAsync('campo/w1', JSON.stringify({ data: { thp: 852 } }), { qos: 1 });
    await until(() => received.length === 4, 10_000);
    expect(received[2]).toMatchObject({ binding: 'thp', value: 852, status: 0 });
    await source.stop();
  });

  it('subscribes with QoS 2 when configured, and each message arrives once', async () => {
    const received: BufferedSample[] = [];
    const source = new MqttSource({
      source: {
        id: 'q2',
        type: 'mqtt',
        url: broker.url,
        qos: 2,
        format: 'json',
        username: broker.username,
        caFile: broker.caFile,
      },
      tags: [tag('level', 'campo/tk1', { field: 'level' })],
      sink: (s) => received.push(...s),
      password: broker.password,
    });
    await source.start();
    for (let k = 0; k < 20; k++)
      await publisher.publishAsync('campo/tk1', JSON.stringify({ level: k }), { qos: 2 });
    await until(() => received.length >= 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((s) => s.value)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    await source.stop();
  });

  it('speaks Sparkplug B: births and aliases, negative Int64, sequence gaps and unknown aliases ask for rebirth, death marks Bad', async () => {
    const received: BufferedSample[] = [];
    const commands: string[] = [];
    await publisher.subscribeAsync('spBv1.0/campo/NCMD/rtu7');
    publisher.on('message', (topic) => commands.push(topic));
    const source = new MqttSource({
      source: {
        id: 'sp',
        type: 'mqtt',
        url: broker.url,
        qos: 1,
        format: 'sparkplug-b',
        username: broker.username,
        caFile: broker.caFile,
      },
      tags: [
        tag('lact-total', 'campo/rtu7/lact', { metric: 'Totalizer' }),
        tag('delta', 'campo/rtu7/lact', { metric: 'Delta' }),
        tag('node-temp', 'campo/rtu7', { metric: 'Temp' }),
      ],
      sink: (s) => received.push(...s),
      password: broker.password,
    });
    await source.start();
    const publish = (type: string, device: string | null, payload: object) =>
      publisher.publishAsync(
        `spBv1.0/campo/${type}/rtu7${device ? `/${device}` : ''}`,
        Buffer.from(sparkplug.encodePayload(payload)),
        { qos: 1 },
      );
    const t = 1_800_000_000_000;
    await publish('NBIRTH', null, {
      timestamp: t,
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: 0 },
        { name: 'Temp', alias: 1, type: 'Float', value: 30.5 },
      ],
    });
    await publish('DBIRTH', 'lact', {
      timestamp: t,
      seq: 1,
      metrics: [
        { name: 'Totalizer', alias: 10, type: 'Double', value: 1000.5 },
        { name: 'Delta', alias: 11, type: 'Int64', value: 0 },
      ],
    });
    // DDATA by alias only; the edge node encodes Int64 −7 into the uint64 field, as the
    // protobuf makes it (the library decodes it unsigned: the birth type must decide).
    await publish('DDATA', 'lact', {
      timestamp: t + 1000,
      seq: 2,
      metrics: [
        { alias: 10, type: 'Double', value: 1001.25, timestamp: t + 1000 },
        { alias: 11, type: 'UInt64', value: -7 },
      ],
    });
    await until(() => received.length === 5);
    expect(received.map((s) => [s.binding, s.value])).toEqual([
      ['node-temp', 30.5],
      ['lact-total', 1000.5],
      ['delta', 0],
      ['lact-total', 1001.25],
      ['delta', -7],
    ]);
    expect(source.status()).toMatchObject({ sequenceGaps: 0, rebirthRequests: 0 });

    await publish('DDATA', 'lact', {
      timestamp: t + 2000,
      seq: 9,
      metrics: [{ alias: 10, type: 'Double', value: 1002 }],
    }); // gap
    await publish('DDATA', 'lact', {
      timestamp: t + 3000,
      seq: 10,
      metrics: [{ alias: 99, type: 'Double', value: 1 }],
    }); // unknown alias
    await until(() => commands.length >= 2);
    expect(source.status()).toMatchObject({ sequenceGaps: 1, rebirthRequests: 2 });

    await publish('NDEATH', null, {
      timestamp: t + 4000,
      metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }],
    });
    await until(() => received.filter((s) => s.status === 2).length === 3);
    expect(
      received
        .filter((s) => s.status === 2)
        .map((s) => s.binding)
        .sort(),
    ).toEqual(['delta', 'lact-total', 'node-temp']);
    await source.stop();
  });
});
