/*
 * An IEC 60870-5-104 controlled station (slave) for the connector's tests, built on
 * lib60870 (the reference open-source IEC 104 stack, Debian's liblib60870-dev), so the
 * connector's client is tested against a stack it shares no code with.
 *
 *   slave <port> [k w t1 t2 t3]        listens on 127.0.0.1:<port>; timers in seconds
 *
 * It is driven by commands on stdin (one per line) and reports on stdout, one JSON object
 * per line: every frame it sends or receives ("tx"/"rx" with the bytes in hex), every
 * information object it sends ("sent", with the value, quality and time tag as it holds
 * them), connection events, and "done" after each command. The test compares what the
 * connector stored with these lines.
 *
 * lib60870 runs threadless: this program's single loop reads stdin and calls
 * CS104_Slave_tick, so "freeze" (stop ticking) makes the station stop answering while its
 * TCP connection stays open, which is how the tests overflow the client's send window.
 *
 * Commands (ca = common address, ioa = information object address, type = type id):
 *   point <ca> <ioa> <type>                    define a point (1,2,3,4,9..16,21,30,31,34..37)
 *   set <ca> <ioa> <value> <quality> <tsMs> [timeFlags]
 *                                              value and quality octet (SIQ/DIQ/QDS flags, or
 *                                              the counter's sequence|CY|CA|IV octet); tsMs 0 =
 *                                              now at sending; timeFlags 1 = time invalid
 *   spont <ca> <ioa>...                        send points spontaneously (one ASDU each)
 *   spontseq <ca> <firstIoa> <n>               send n consecutive points in one SQ=1 ASDU
 *   burst <ca> <ioa> <n> <first>               n spontaneous values first, first+1, ...
 *   eoi <ca>                                   send end of initialisation (M_EI_NA_1)
 *   freeze | thaw                              stop / resume answering (no ticks)
 *   restart <ms>                               stop the server (all links closed), start again
 *   cut <n>                                    send the first n bytes of an I frame, then
 *                                              shut the link down (a link cut mid-frame)
 *   raw <hex>                                  write these bytes on the link as they are
 *   rawi <nsDelta> <hexAsdu>                   an I frame around this ASDU with N(S) = V(S) +
 *                                              nsDelta (a sequence gap when nsDelta != 0)
 *   quit                                       exit (so does the end of stdin)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cs104_slave.h"
#include "hal_time.h"

#define MAX_POINTS 4096

typedef struct {
  bool defined;
  int ca;
  int ioa;
  int type;
  double value;
  int quality;
  uint64_t tsMs;
  int timeFlags;
} Point;

static Point points[MAX_POINTS];
static int pointCount = 0;
static CS104_Slave slave;
static CS101_AppLayerParameters alParams;
static bool frozen = false;
static bool running = true;

/* The current link, for the fault commands that write on its socket directly. */
static IMasterConnection currentConnection = NULL;
static char currentPeer[64] = "";
static int sendCount = 0; /* V(S): I frames sent on the current link */
static int receiveCount = 0; /* V(R): I frames received on the current link */

static uint64_t nowMs(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void emitHex(const char* event, const uint8_t* bytes, int size) {
  printf("{\"ev\":\"%s\",\"hex\":\"", event);
  for (int i = 0; i < size; i++) printf("%02x", bytes[i]);
  printf("\"}\n");
  fflush(stdout);
}

static void done(const char* command) {
  printf("{\"ev\":\"done\",\"cmd\":\"%s\"}\n", command);
  fflush(stdout);
}

static void fail(const char* message) {
  printf("{\"ev\":\"error\",\"msg\":\"%s\"}\n", message);
  fflush(stdout);
}
#define FAIL(message) \
  do {                \
    fail(message);    \
    return;           \
  } while (0)

static Point* findPoint(int ca, int ioa) {
  for (int i = 0; i < pointCount; i++)
    if (points[i].ca == ca && points[i].ioa == ioa) return &points[i];
  return NULL;
}

static bool hasTime56(int type) { return type >= 30 && type <= 37; }
static bool hasTime24(int type) {
  return type == 2 || type == 4 || type == 10 || type == 12 || type == 14 || type == 16;
}
static bool isCounter(int type) { return type == 15 || type == 16 || type == 37; }

/* The type a general interrogation answers with: the same kind without a time tag. */
static int interrogationType(int type) {
  switch (type) {
    case 2: case 30: return 1;
    case 4: case 31: return 3;
    case 10: case 34: return 9;
    case 12: case 35: return 11;
    case 14: case 36: return 13;
    default: return type;
  }
}

/* Builds the information object for a point as the given type; NULL for an unknown type. */
static InformationObject makeObject(const Point* p, int type, uint64_t* usedTs) {
  uint64_t ts = p->tsMs ? p->tsMs : nowMs();
  *usedTs = ts;
  struct sCP56Time2a t56;
  CP56Time2a_setFromMsTimestamp(&t56, ts);
  if (p->timeFlags & 1) CP56Time2a_setInvalid(&t56, true);
  struct sCP24Time2a t24;
  memset(&t24, 0, sizeof t24);
  CP24Time2a_setMinute(&t24, (int)((ts / 60000) % 60));
  CP24Time2a_setSecond(&t24, (int)((ts / 1000) % 60));
  CP24Time2a_setMillisecond(&t24, (int)(ts % 1000));
  if (p->timeFlags & 1) CP24Time2a_setInvalid(&t24, true);
  QualityDescriptor q = (QualityDescriptor)(p->quality & 0xff);
  struct sBinaryCounterReading bcr;
  BinaryCounterReading_create(&bcr, (int32_t)p->value, p->quality & 0x1f, (p->quality & 0x20) != 0,
                              (p->quality & 0x40) != 0, (p->quality & 0x80) != 0);
  switch (type) {
    case 1: return (InformationObject)SinglePointInformation_create(NULL, p->ioa, p->value != 0, q);
    case 2: return (InformationObject)SinglePointWithCP24Time2a_create(NULL, p->ioa, p->value != 0, q, &t24);
    case 30: return (InformationObject)SinglePointWithCP56Time2a_create(NULL, p->ioa, p->value != 0, q, &t56);
    case 3: return (InformationObject)DoublePointInformation_create(NULL, p->ioa, (DoublePointValue)(int)p->value, q);
    case 4: return (InformationObject)DoublePointWithCP24Time2a_create(NULL, p->ioa, (DoublePointValue)(int)p->value, q, &t24);
    case 31: return (InformationObject)DoublePointWithCP56Time2a_create(NULL, p->ioa, (DoublePointValue)(int)p->value, q, &t56);
    case 9: return (InformationObject)MeasuredValueNormalized_create(NULL, p->ioa, (float)p->value, q);
    case 10: return (InformationObject)MeasuredValueNormalizedWithCP24Time2a_create(NULL, p->ioa, (float)p->value, q, &t24);
    case 34: return (InformationObject)MeasuredValueNormalizedWithCP56Time2a_create(NULL, p->ioa, (float)p->value, q, &t56);
    case 21: return (InformationObject)MeasuredValueNormalizedWithoutQuality_create(NULL, p->ioa, (float)p->value);
    case 11: return (InformationObject)MeasuredValueScaled_create(NULL, p->ioa, (int)p->value, q);
    case 12: return (InformationObject)MeasuredValueScaledWithCP24Time2a_create(NULL, p->ioa, (int)p->value, q, &t24);
    case 35: return (InformationObject)MeasuredValueScaledWithCP56Time2a_create(NULL, p->ioa, (int)p->value, q, &t56);
    case 13: return (InformationObject)MeasuredValueShort_create(NULL, p->ioa, (float)p->value, q);
    case 14: return (InformationObject)MeasuredValueShortWithCP24Time2a_create(NULL, p->ioa, (float)p->value, q, &t24);
    case 36: return (InformationObject)MeasuredValueShortWithCP56Time2a_create(NULL, p->ioa, (float)p->value, q, &t56);
    case 15: return (InformationObject)IntegratedTotals_create(NULL, p->ioa, &bcr);
    case 16: return (InformationObject)IntegratedTotalsWithCP24Time2a_create(NULL, p->ioa, &bcr, &t24);
    case 37: return (InformationObject)IntegratedTotalsWithCP56Time2a_create(NULL, p->ioa, &bcr, &t56);
    default: return NULL;
  }
}

static void emitSent(const Point* p, int type, int cot, uint64_t ts) {
  printf("{\"ev\":\"sent\",\"cot\":%d,\"ca\":%d,\"ioa\":%d,\"type\":%d,\"value\":%.9g,\"q\":%d,\"ts\":",
         cot, p->ca, p->ioa, type, p->value, p->quality);
  if (hasTime56(type) || hasTime24(type))
    printf("%llu,\"timeInvalid\":%s}\n", (unsigned long long)ts, (p->timeFlags & 1) ? "true" : "false");
  else
    printf("null}\n");
  fflush(stdout);
}

/* Spontaneous data goes through the slave's event queue: kept while no client is connected. */
static bool sendSpontaneous(Point* p) {
  uint64_t ts;
  InformationObject io = makeObject(p, p->type, &ts);
  if (!io) return false;
  CS101_ASDU asdu = CS101_ASDU_create(alParams, false, CS101_COT_SPONTANEOUS, 0, p->ca, false, false);
  CS101_ASDU_addInformationObject(asdu, io);
  InformationObject_destroy(io);
  CS104_Slave_enqueueASDU(slave, asdu);
  CS101_ASDU_destroy(asdu);
  emitSent(p, p->type, CS101_COT_SPONTANEOUS, ts);
  return true;
}

/* Answers a general interrogation (station or broadcast CA): several objects per ASDU. */
static bool interrogationHandler(void* parameter, IMasterConnection connection, CS101_ASDU request, uint8_t qoi) {
  (void)parameter;
  int ca = CS101_ASDU_getCA(request);
  if (qoi != 20) {
    IMasterConnection_sendACT_CON(connection, request, true);
    return true;
  }
  IMasterConnection_sendACT_CON(connection, request, false);
  int objects = 0;
  const int types[] = {1, 3, 9, 11, 13, 21};
  for (int caIndex = 0; caIndex < pointCount; caIndex++) {
    /* each common address once, in the order the points were defined */
    int thisCa = points[caIndex].ca;
    bool seen = false;
    for (int j = 0; j < caIndex; j++) seen = seen || points[j].ca == thisCa;
    if (seen || (ca != 0xffff && ca != thisCa)) continue;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
      CS101_ASDU asdu = NULL;
      for (int i = 0; i < pointCount; i++) {
        Point* p = &points[i];
        if (p->ca != thisCa || isCounter(p->type) || interrogationType(p->type) != types[t]) continue;
        uint64_t ts;
        InformationObject io = makeObject(p, types[t], &ts);
        if (!asdu) asdu = CS101_ASDU_create(alParams, false, CS101_COT_INTERROGATED_BY_STATION, 0, thisCa, false, false);
        if (!CS101_ASDU_addInformationObject(asdu, io)) {
          /* full: send it and start the next one */
          IMasterConnection_sendASDU(connection, asdu);
          CS101_ASDU_destroy(asdu);
          asdu = CS101_ASDU_create(alParams, false, CS101_COT_INTERROGATED_BY_STATION, 0, thisCa, false, false);
          CS101_ASDU_addInformationObject(asdu, io);
        }
        InformationObject_destroy(io);
        emitSent(p, types[t], CS101_COT_INTERROGATED_BY_STATION, ts);
        objects++;
      }
      if (asdu) {
        IMasterConnection_sendASDU(connection, asdu);
        CS101_ASDU_destroy(asdu);
      }
    }
  }
  IMasterConnection_sendACT_TERM(connection, request);
  printf("{\"ev\":\"gi\",\"ca\":%d,\"objects\":%d}\n", ca, objects);
  fflush(stdout);
  return true;
}

static bool counterInterrogationHandler(void* parameter, IMasterConnection connection, CS101_ASDU request, QualifierOfCIC qcc) {
  (void)parameter;
  int ca = CS101_ASDU_getCA(request);
  IMasterConnection_sendACT_CON(connection, request, false);
  int objects = 0;
  for (int i = 0; i < pointCount; i++) {
    Point* p = &points[i];
    if (!isCounter(p->type) || (ca != 0xffff && ca != p->ca)) continue;
    uint64_t ts;
    InformationObject io = makeObject(p, p->type, &ts);
    CS101_ASDU asdu = CS101_ASDU_create(alParams, false, CS101_COT_REQUESTED_BY_GENERAL_COUNTER, 0, p->ca, false, false);
    CS101_ASDU_addInformationObject(asdu, io);
    InformationObject_destroy(io);
    IMasterConnection_sendASDU(connection, asdu);
    CS101_ASDU_destroy(asdu);
    emitSent(p, p->type, CS101_COT_REQUESTED_BY_GENERAL_COUNTER, ts);
    objects++;
  }
  IMasterConnection_sendACT_TERM(connection, request);
  printf("{\"ev\":\"ci\",\"ca\":%d,\"qcc\":%d,\"objects\":%d}\n", ca, qcc, objects);
  fflush(stdout);
  return true;
}

static bool clockSyncHandler(void* parameter, IMasterConnection connection, CS101_ASDU asdu, CP56Time2a newTime) {
  (void)parameter;
  (void)connection;
  printf("{\"ev\":\"clock\",\"ca\":%d,\"ms\":%llu,\"local\":%llu}\n", CS101_ASDU_getCA(asdu),
         (unsigned long long)CP56Time2a_toMsTimestamp(newTime), (unsigned long long)nowMs());
  fflush(stdout);
  return true;
}

static void connectionEventHandler(void* parameter, IMasterConnection connection, CS104_PeerConnectionEvent event) {
  (void)parameter;
  char peer[64] = "";
  IMasterConnection_getPeerAddress(connection, peer, sizeof peer);
  const char* names[] = {"opened", "closed", "activated", "deactivated"};
  if (event == CS104_CON_EVENT_CONNECTION_OPENED) {
    currentConnection = connection;
    snprintf(currentPeer, sizeof currentPeer, "%s", peer);
    sendCount = 0;
    receiveCount = 0;
  } else if (event == CS104_CON_EVENT_CONNECTION_CLOSED && connection == currentConnection) {
    currentConnection = NULL;
    currentPeer[0] = 0;
  }
  printf("{\"ev\":\"%s\",\"peer\":\"%s\"}\n", names[event], peer);
  fflush(stdout);
}

static void rawMessageHandler(void* parameter, IMasterConnection connection, uint8_t* msg, int size, bool sent) {
  (void)parameter;
  if (connection == currentConnection && size >= 6 && (msg[2] & 1) == 0) {
    if (sent) sendCount = (sendCount + 1) % 32768;
    else receiveCount = (receiveCount + 1) % 32768;
  }
  emitHex(sent ? "tx" : "rx", msg, size);
}

/*
 * The accepted socket of the current link: the descriptor whose peer is the connection's
 * peer address. lib60870 does not expose it, and the fault commands need to write bytes
 * it would never write.
 */
static int currentSocket(void) {
  if (!currentPeer[0]) return -1;
  char host[64];
  snprintf(host, sizeof host, "%s", currentPeer);
  char* colon = strrchr(host, ':');
  if (!colon) return -1;
  *colon = 0;
  int port = atoi(colon + 1);
  for (int fd = 3; fd < 1024; fd++) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    if (getpeername(fd, (struct sockaddr*)&address, &length) != 0 || address.sin_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    if (ntohs(address.sin_port) == port && strcmp(text, host) == 0) return fd;
  }
  return -1;
}

static int parseHex(const char* hex, uint8_t* out, int max) {
  int n = 0;
  size_t length = strlen(hex);
  if (length % 2) return -1;
  for (size_t i = 0; i < length && n < max; i += 2) {
    unsigned int byte;
    if (sscanf(hex + i, "%2x", &byte) != 1) return -1;
    out[n++] = (uint8_t)byte;
  }
  return n;
}

static void writeAll(int fd, const uint8_t* bytes, int size) {
  int offset = 0;
  while (offset < size) {
    ssize_t written = write(fd, bytes + offset, size - offset);
    if (written <= 0) return;
    offset += (int)written;
  }
}

static void iFrameHeader(uint8_t* frame, int asduLength, int ns) {
  frame[0] = 0x68;
  frame[1] = (uint8_t)(asduLength + 4);
  frame[2] = (uint8_t)((ns << 1) & 0xfe);
  frame[3] = (uint8_t)((ns >> 7) & 0xff);
  frame[4] = (uint8_t)((receiveCount << 1) & 0xfe);
  frame[5] = (uint8_t)((receiveCount >> 7) & 0xff);
}

static void startSlave(void) { CS104_Slave_startThreadless(slave); }

static void command(char* line) {
  char* argv[300];
  int argc = 0;
  for (char* token = strtok(line, " \t\r\n"); token && argc < 300; token = strtok(NULL, " \t\r\n")) argv[argc++] = token;
  if (argc == 0) return;
  const char* name = argv[0];
  if (!strcmp(name, "point") && argc == 4) {
    int ca = atoi(argv[1]), ioa = atoi(argv[2]), type = atoi(argv[3]);
    Point* p = findPoint(ca, ioa);
    if (!p) {
      if (pointCount == MAX_POINTS) FAIL("too many points");
      p = &points[pointCount++];
    }
    uint64_t unused;
    Point probe = {true, ca, ioa, type, 0, 0, 1, 0};
    InformationObject io = makeObject(&probe, type, &unused);
    if (!io) FAIL("unsupported type");
    InformationObject_destroy(io);
    *p = probe;
    p->tsMs = 0;
  } else if (!strcmp(name, "set") && (argc == 6 || argc == 7)) {
    Point* p = findPoint(atoi(argv[1]), atoi(argv[2]));
    if (!p) FAIL("unknown point");
    p->value = strtod(argv[3], NULL);
    p->quality = (int)strtol(argv[4], NULL, 0);
    p->tsMs = strtoull(argv[5], NULL, 10);
    p->timeFlags = argc == 7 ? atoi(argv[6]) : 0;
  } else if (!strcmp(name, "spont") && argc >= 3 && argc % 2 == 1) {
    for (int i = 1; i + 1 < argc; i += 2) {
      Point* p = findPoint(atoi(argv[i]), atoi(argv[i + 1]));
      if (!p) FAIL("unknown point");
      sendSpontaneous(p);
    }
  } else if (!strcmp(name, "spontseq") && argc == 4) {
    int ca = atoi(argv[1]), first = atoi(argv[2]), n = atoi(argv[3]);
    Point* head = findPoint(ca, first);
    if (!head) FAIL("unknown point");
    CS101_ASDU asdu = CS101_ASDU_create(alParams, true, CS101_COT_SPONTANEOUS, 0, ca, false, false);
    for (int i = 0; i < n; i++) {
      Point* p = findPoint(ca, first + i);
      if (!p || p->type != head->type) {
        CS101_ASDU_destroy(asdu);
        FAIL("points of a sequence must exist and share a type");
      }
      uint64_t ts;
      InformationObject io = makeObject(p, p->type, &ts);
      if (!CS101_ASDU_addInformationObject(asdu, io)) {
        InformationObject_destroy(io);
        CS101_ASDU_destroy(asdu);
        FAIL("sequence does not fit in one ASDU");
      }
      InformationObject_destroy(io);
      emitSent(p, p->type, CS101_COT_SPONTANEOUS, ts);
    }
    CS104_Slave_enqueueASDU(slave, asdu);
    CS101_ASDU_destroy(asdu);
  } else if (!strcmp(name, "burst") && argc == 5) {
    Point* p = findPoint(atoi(argv[1]), atoi(argv[2]));
    if (!p) FAIL("unknown point");
    int n = atoi(argv[3]);
    double first = strtod(argv[4], NULL);
    for (int i = 0; i < n; i++) {
      p->value = first + i;
      sendSpontaneous(p);
    }
  } else if (!strcmp(name, "eoi") && argc == 2) {
    CS101_ASDU asdu = CS101_ASDU_create(alParams, false, CS101_COT_INITIALIZED, 0, atoi(argv[1]), false, false);
    InformationObject io = (InformationObject)EndOfInitialization_create(NULL, 0);
    CS101_ASDU_addInformationObject(asdu, io);
    InformationObject_destroy(io);
    CS104_Slave_enqueueASDU(slave, asdu);
    CS101_ASDU_destroy(asdu);
  } else if (!strcmp(name, "freeze") && argc == 1) {
    frozen = true;
  } else if (!strcmp(name, "thaw") && argc == 1) {
    frozen = false;
  } else if (!strcmp(name, "restart") && argc == 2) {
    CS104_Slave_stopThreadless(slave);
    currentConnection = NULL;
    currentPeer[0] = 0;
    usleep((useconds_t)atoi(argv[1]) * 1000);
    startSlave();
  } else if (!strcmp(name, "cut") && argc == 2) {
    int fd = currentSocket();
    if (fd < 0) FAIL("no link");
    /* An M_ME_NC_1 (short float) spontaneous frame with the link's own sequence numbers. */
    uint8_t frame[20];
    iFrameHeader(frame, 14, sendCount);
    const uint8_t asdu[14] = {13, 1, 3, 0, 1, 0, 0x39, 0x30, 0, 0, 0, 0x80, 0x3f, 0};
    memcpy(frame + 6, asdu, sizeof asdu);
    int n = atoi(argv[1]);
    if (n < 1 || n >= (int)sizeof frame) FAIL("cut needs 1..19 bytes");
    writeAll(fd, frame, n);
    emitHex("cut", frame, n);
    /* shutdown, not close: lib60870 still owns the descriptor and closes it itself */
    shutdown(fd, SHUT_RDWR);
  } else if (!strcmp(name, "raw") && argc == 2) {
    int fd = currentSocket();
    if (fd < 0) FAIL("no link");
    uint8_t bytes[512];
    int n = parseHex(argv[1], bytes, sizeof bytes);
    if (n <= 0) FAIL("bad hex");
    writeAll(fd, bytes, n);
    emitHex("injected", bytes, n);
  } else if (!strcmp(name, "rawi") && argc == 3) {
    int fd = currentSocket();
    if (fd < 0) FAIL("no link");
    uint8_t frame[512];
    int n = parseHex(argv[2], frame + 6, sizeof frame - 6);
    if (n <= 0) FAIL("bad hex");
    iFrameHeader(frame, n, (sendCount + atoi(argv[1])) % 32768);
    writeAll(fd, frame, n + 6);
    emitHex("injected", frame, n + 6);
  } else if (!strcmp(name, "quit")) {
    running = false;
  } else {
    FAIL("unknown command or wrong arguments");
  }
  done(name);
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 7) {
    fprintf(stderr, "usage: slave <port> [k w t1 t2 t3]\n");
    return 64;
  }
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  /* a large event queue: the burst test sends hundreds of events before they drain */
  slave = CS104_Slave_create(20000, 2000);
  CS104_Slave_setLocalAddress(slave, "127.0.0.1");
  CS104_Slave_setLocalPort(slave, atoi(argv[1]));
  CS104_Slave_setServerMode(slave, CS104_MODE_SINGLE_REDUNDANCY_GROUP);
  CS104_Slave_setMaxOpenConnections(slave, 4);
  if (argc == 7) {
    CS104_APCIParameters apci = CS104_Slave_getConnectionParameters(slave);
    apci->k = atoi(argv[2]);
    apci->w = atoi(argv[3]);
    apci->t1 = atoi(argv[4]);
    apci->t2 = atoi(argv[5]);
    apci->t3 = atoi(argv[6]);
  }
  alParams = CS104_Slave_getAppLayerParameters(slave);
  CS104_Slave_setInterrogationHandler(slave, interrogationHandler, NULL);
  CS104_Slave_setCounterInterrogationHandler(slave, counterInterrogationHandler, NULL);
  CS104_Slave_setClockSyncHandler(slave, clockSyncHandler, NULL);
  CS104_Slave_setConnectionEventHandler(slave, connectionEventHandler, NULL);
  CS104_Slave_setRawMessageHandler(slave, rawMessageHandler, NULL);
  startSlave();
  printf("{\"ev\":\"ready\",\"port\":%d}\n", atoi(argv[1]));
  fflush(stdout);

  char line[8192];
  size_t used = 0;
  while (running) {
    struct pollfd in = {.fd = 0, .events = POLLIN};
    int ready = poll(&in, 1, 2);
    if (ready > 0) {
      ssize_t n = read(0, line + used, sizeof line - 1 - used);
      if (n <= 0) break; /* stdin closed: the test is gone */
      used += (size_t)n;
      line[used] = 0;
      char* newline;
      while ((newline = memchr(line, '\n', used))) {
        *newline = 0;
        command(line);
        size_t consumed = (size_t)(newline - line) + 1;
        memmove(line, newline + 1, used - consumed);
        used -= consumed;
        line[used] = 0;
      }
      if (used == sizeof line - 1) used = 0; /* an absurd line: dropped */
    }
    if (!frozen) CS104_Slave_tick(slave);
  }
  CS104_Slave_stopThreadless(slave);
  CS104_Slave_destroy(slave);
  return 0;
}
