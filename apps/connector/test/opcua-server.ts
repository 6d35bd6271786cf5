import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
} from 'node-opcua';
import { freePort } from './modbus-server';

/**
 * A real OPC UA server (node-opcua) on 127.0.0.1 for the tests: a well with a tubing
 * head pressure that counts up, a sensor that reports BadSensorFailure, security None
 * and Basic256Sha256, anonymous and username logins. It can be restarted on the same
 * port with the same certificate, like a SCADA server after a reboot.
 */
export interface TestOpcuaServer {
  endpoint: string;
  username: string;
  password: string;
  /** DER of the server certificate, to pre-trust it in a client store. */
  certificate(): Buffer;
  /** Accepts an X.509 user certificate (DER) for certificate logins. */
  trustUserCertificate(der: Buffer): Promise<void>;
  thp(): number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOpcuaServer(): Promise<TestOpcuaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'anh-opcua-server-'));
  const port = await freePort();
  let thp = 850;
  const ticker = setInterval(() => (thp += 0.5), 50);
  let server: OPCUAServer | null = null;
  let userCertificates: OPCUACertificateManager | null = null;
  const username = 'operador';
  const password = 'clave-opc-ua';

  const start = async () => {
    const pki = new OPCUACertificateManager({
      rootFolder: join(dir, 'pki'),
      automaticallyAcceptUnknownCertificate: true,
    });
    const userPki = new OPCUACertificateManager({
      rootFolder: join(dir, 'user-pki'),
      automaticallyAcceptUnknownCertificate: false,
    });
    await userPki.initialize();
    userCertificates = userPki;
    const instance = new OPCUAServer({
      userCertificateManager: userPki,
      port,
      hostname: '127.0.0.1',
      serverCertificateManager: pki,
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes: [
        MessageSecurityMode.None,
        MessageSecurityMode.Sign,
        MessageSecurityMode.SignAndEncrypt,
      ],
      allowAnonymous: true,
      userManager: {
        isValidUser: (user: string, pass: string) => user === username && pass === password,
      },
    });
    await instance.initialize();
    const addressSpace = instance.engine.addressSpace!;
    const namespace = addressSpace.getOwnNamespace();
    const well = namespace.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: 'W-001',
    });
    namespace.addVariable({
      componentOf: well,
      nodeId: 's=W-001.THP',
      browseName: 'THP',
      dataType: 'Double',
      minimumSamplingInterval: 50,
      value: {
        timestamped_get: () =>
          new DataValue({
            value: new Variant({ dataType: DataType.Double, value: thp }),
            sourceTimestamp: new Date(),
            statusCode: StatusCodes.Good,
          }),
      },
    });
    namespace.addVariable({
      componentOf: well,
      nodeId: 's=W-001.CHP',
      browseName: 'CHP',
      dataType: 'Double',
      minimumSamplingInterval: 50,
      value: {
        timestamped_get: () =>
          new DataValue({
            value: new Variant({ dataType: DataType.Double, value: 0 }),
            sourceTimestamp: new Date(Date.UTC(2026, 10, 27, 15)),
            statusCode: StatusCodes.BadSensorFailure,
          }),
      },
    });
    await instance.start();
    server = instance;
  };
  await start();
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    username,
    password,
    certificate: () => server!.getCertificate(),
    trustUserCertificate: async (der) => {
      await userCertificates!.trustCertificate(der);
    },
    thp: () => thp,
    restart: async () => {
      await server?.shutdown(0);
      await start();
    },
    stop: async () => {
      clearInterval(ticker);
      await server?.shutdown(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
