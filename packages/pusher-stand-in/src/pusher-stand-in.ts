import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type PusherCapacity, type ResolvedCapacity, resolveCapacity } from './capacity.js';
import { CapacityGate } from './capacity-gate.js';
import { checkFault, type PusherFault } from './fault.js';
import { HandshakeLedger } from './handshake-ledger.js';
import { emptyStats, type MutableStats, type PusherStandInStats } from './stand-in-stats.js';
import { answerOverload, refuseUpgrade } from './upgrade-answers.js';
import { conversationResultFrame, MALFORMED_FRAMES, type MalformedKind, parseClientFrame } from './wire.js';

export interface PusherStandInOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** @default '127.0.0.1' (loopback only) */
  host?: string;
  /** Largest frame accepted, bytes. @default 4_194_304 */
  maxPayload?: number;
  /**
   * Pending-connection queue of the listening socket (capped by the kernel's somaxconn).
   * A real pusher sits behind a load balancer; a replay of hundreds of sessions needs more than
   * Node's default. Range 1 – 65,535. @default 511
   */
  backlog?: number;
  /**
   * A capacity in force from the start (its warm-up begins when the stand-in listens); null =
   * unlimited. Switch it at runtime with {@link PusherStandIn.setCapacity}. @default null
   */
  capacity?: PusherCapacity | null;
  /**
   * Milliseconds: the capacity's only clock (warm-up, refill, per-second stats), and the clock of
   * handshake latencies. @default Date.now
   */
  clock?: () => number;
}

export const PUSHER_PATH = '/v1/trigger/listen';

interface Peer {
  readonly ws: WebSocket;
  /** The TCP connection under `ws`: paused while a `going_away` close is held. */
  readonly socket: Duplex;
  /** Sent its 1001 by the `going_away` fault. */
  goneAway: boolean;
  /** Frames left before the drop_mid_stream fault destroys this connection. */
  dropAfter: number | undefined;
  /** Set once terminated: frames ws had already read from the socket are not counted. */
  dropped: boolean;
}

/**
 * A pusher stand-in: a real `ws` WebSocket server on a real port that speaks the
 * pusher wire protocol, records what it received, answers 104 with 201, and dies
 * in the ways pusher died when told to ({@link setFault}).
 */
export class PusherStandIn {
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<Socket>();
  readonly #peers = new Set<Peer>();
  readonly #processed = new Map<string, number>();
  readonly #pending = new Set<NodeJS.Timeout>();
  /** Admitted handshakes waiting for the end of the I/O turn to be accepted (see `#upgrade`). */
  readonly #accepting = new Set<NodeJS.Immediate>();
  /** Upgrades held unanswered by `hang` with `stallHandshakes`; destroyed when the fault changes. */
  readonly #stalled = new Set<Duplex>();
  /** Upgrades held unanswered by the capacity's `stall` mode; reset when the capacity changes. */
  readonly #overloadStalled = new Set<Duplex>();
  readonly #gate: CapacityGate;
  readonly #clock: () => number;
  readonly #handshakes = new HandshakeLedger();
  /** Connections whose 1001 close `going_away` holds (nothing read); resumed when the fault changes. */
  readonly #heldCloses = new Set<Peer>();
  #stats: MutableStats = emptyStats();
  #fault: PusherFault = { kind: 'none' };
  #closed = false;

  private constructor(http: Server, wss: WebSocketServer, clock: () => number) {
    this.#http = http;
    this.#wss = wss;
    this.#clock = clock;
    this.#gate = new CapacityGate(clock);
  }

  /** Starts a stand-in and resolves once it listens. */
  static async start(options: PusherStandInOptions = {}): Promise<PusherStandIn> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new RangeError(`options.port: expected an integer in [0, 65535], got ${String(port)}`);
    }
    const maxPayload = options.maxPayload ?? 4 * 1024 * 1024;
    if (!Number.isInteger(maxPayload) || maxPayload < 1024) {
      throw new RangeError(`options.maxPayload: expected an integer ≥ 1024, got ${String(maxPayload)}`);
    }
    const backlog = options.backlog ?? 511;
    if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65_535) {
      throw new RangeError(`options.backlog: expected an integer in [1, 65535], got ${String(backlog)}`);
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') throw new RangeError(`options.clock: expected a function, got ${String(clock)}`);
    const capacity = options.capacity ? resolveCapacity(options.capacity) : null;
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('pusher speaks WebSocket only\n');
    });
    // autoPong off: the hang fault must be able to leave pings unanswered.
    const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload });
    const standIn = new PusherStandIn(http, wss, clock);
    standIn.#wire();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port, host: options.host ?? '127.0.0.1', backlog }, () => {
        http.off('error', reject);
        resolve();
      });
    });
    standIn.#gate.set(capacity);
    return standIn;
  }

  /** The base URL, `ws://host:port`: what listen-client takes as `pusherUrl`. */
  get url(): string {
    const { address, port } = this.#http.address() as AddressInfo;
    return `ws://${address}:${port}`;
  }

  /** The full listen URL, `ws://host:port/v1/trigger/listen?uid=…&sample_rate=…`. */
  listenUrl(uid: string, sampleRate = 16_000): string {
    return `${this.url}${PUSHER_PATH}?uid=${encodeURIComponent(uid)}&sample_rate=${sampleRate}`;
  }

  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }

  get fault(): PusherFault {
    return this.#fault;
  }

  /**
   * Switches the fault for new connections, and for live ones where it applies (hang, answers, drops, going away).
   * Clearing a fault (any fault → `none`) is pusher coming back: with a capacity set, it starts cold.
   */
  setFault(fault: PusherFault): void {
    const was = this.#fault;
    this.#fault = checkFault(fault);
    if (was.kind !== 'none' && fault.kind === 'none') this.#gate.restart();
    if (fault.kind !== 'hang' || !fault.stallHandshakes) this.#releaseStalled();
    this.#releaseHeldCloses();
    for (const peer of this.#peers) {
      if (fault.kind === 'going_away' && !peer.goneAway) this.#goAway(peer, fault.holdClose === true);
      peer.dropAfter = fault.kind === 'drop_mid_stream' ? fault.afterFrames : undefined;
      if (fault.kind === 'drop_mid_stream' && fault.afterFrames === 0) {
        this.#hit('drop_mid_stream');
        peer.ws.terminate();
      }
    }
  }

  /** The capacity in force, defaults filled in; null = unlimited. */
  get capacity(): ResolvedCapacity | null {
    return this.#gate.config;
  }

  /**
   * Sets a capacity (defaults fill the fields left out) or, with null, lifts it. Setting one is a
   * cold start: the rate begins at `initialRate` with a full bucket. If `maxSessions` is below the
   * sessions open, the newest of them are shed (closed 1011 "overloaded"). Handshakes held by the
   * `stall` mode are reset. A bad capacity throws a RangeError naming the field and changes nothing.
   */
  setCapacity(capacity: PusherCapacity | null): void {
    this.#gate.set(capacity === null ? null : resolveCapacity(capacity));
    for (const socket of this.#overloadStalled) socket.destroy();
    this.#overloadStalled.clear();
    const live = this.#liveSessions();
    const shed = live.slice(live.length - this.#gate.excess(live.length));
    for (const peer of shed) peer.ws.close(1011, 'overloaded');
    if (shed.length > 0) this.#gate.shed(shed.length);
  }

  /** Destroys every live connection without a close frame (the client sees 1006). Returns how many. */
  dropAll(): number {
    const n = this.#peers.size;
    for (const peer of this.#peers) peer.ws.terminate();
    return n;
  }

  /** Closes every live connection with `code` (a close frame is sent). Returns how many. */
  closeAll(code = 1011, reason = 'stand-in closed it'): number {
    const n = this.#peers.size;
    for (const peer of this.#peers) peer.ws.close(code, reason);
    return n;
  }

  /** Sends one malformed frame of `kind` to every live connection. Returns how many got it. */
  sendMalformed(kind: MalformedKind): number {
    let n = 0;
    for (const peer of this.#peers) {
      peer.ws.send(MALFORMED_FRAMES[kind](), { binary: true });
      n++;
    }
    return n;
  }

  /** Sends a text (non-binary) frame to every live connection: the protocol allows only binary. */
  sendText(text: string): number {
    for (const peer of this.#peers) peer.ws.send(text, { binary: false });
    return this.#peers.size;
  }

  stats(): PusherStandInStats {
    return {
      ...this.#stats,
      open: this.#peers.size,
      framesByOpcode: { ...this.#stats.framesByOpcode },
      closeCodes: { ...this.#stats.closeCodes },
      userAgents: { ...this.#stats.userAgents },
      faultHits: { ...this.#stats.faultHits },
      capacity: this.#gate.stats(this.#overloadStalled.size),
      handshakeLatency: this.#handshakes.snapshot(),
    };
  }

  /** How many times each conversation id was answered with a 201 success. */
  processedConversations(): ReadonlyMap<string, number> {
    return new Map(this.#processed);
  }

  /** Zeroes the counters (live connections stay open and are not recounted). */
  resetStats(): void {
    this.#stats = emptyStats();
    this.#processed.clear();
    this.#gate.resetStats();
    this.#handshakes.reset();
  }

  /** Stops listening and destroys every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
    for (const i of this.#accepting) clearImmediate(i);
    this.#accepting.clear();
    this.#releaseStalled();
    for (const socket of this.#overloadStalled) socket.destroy();
    this.#heldCloses.clear();
    for (const peer of this.#peers) peer.ws.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #hit(kind: PusherFault['kind']): void {
    this.#stats.faultHits[kind] = (this.#stats.faultHits[kind] ?? 0) + 1;
  }

  #wire(): void {
    this.#http.on('connection', (socket: Socket) => {
      this.#stats.dials++;
      if (this.#closed || this.#fault.kind === 'refuse') {
        if (!this.#closed) this.#hit('refuse');
        this.#stats.refused++;
        socket.resetAndDestroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
    });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.#accept(ws, req));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const arrivedAt = this.#clock();
    socket.on('error', () => {});
    const fault = this.#fault;
    if (fault.kind === 'reject') {
      this.#hit('reject');
      this.#stats.refused++;
      refuseUpgrade(socket, fault.status ?? 503, 'Service Unavailable');
      return;
    }
    const url = new URL(req.url ?? '/', 'ws://stand-in');
    const uid = url.searchParams.get('uid');
    const sampleRate = Number(url.searchParams.get('sample_rate'));
    if (url.pathname !== PUSHER_PATH || !uid || !Number.isInteger(sampleRate) || sampleRate <= 0) {
      this.#stats.badRequests++;
      refuseUpgrade(socket, 400, 'Bad Request');
      return;
    }
    // Accepted at the end of the I/O turn in which it is due, not in the timer that made it due:
    // a starved stand-in runs its overdue timers before it reads its sockets, so a client that gave
    // up meanwhile (its FIN already here) would otherwise be answered and counted as a session.
    const complete = () => {
      const immediate = setImmediate(() => {
        this.#accepting.delete(immediate);
        if (this.#closed) return;
        this.#handshakes.answered(arrivedAt, this.#clock());
        if (socket.destroyed || !socket.readable || !socket.writable) {
          this.#stats.abandonedHandshakes++;
          socket.destroy();
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
      });
      this.#accepting.add(immediate);
    };
    if (fault.kind === 'hang' && fault.stallHandshakes) {
      this.#hit('hang');
      this.#stats.stalledHandshakes++;
      this.#stalled.add(socket);
      socket.once('close', () => this.#stalled.delete(socket));
      return;
    }
    // A handshake slow_accept holds was admitted: it counts as a session.
    const verdict = this.#gate.decide(() => this.#liveSessions().length + this.#pending.size + this.#accepting.size);
    if (!verdict.admitted) {
      answerOverload(verdict, { wss: this.#wss, req, socket, head }, this.#overloadStalled);
      return;
    }
    if (fault.kind === 'slow_accept') {
      this.#hit('slow_accept');
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        complete();
      }, fault.delayMs);
      this.#pending.add(timer);
      return;
    }
    complete();
  }

  /** Sessions open, oldest first, not counting those already closing. */
  #liveSessions(): Peer[] {
    return [...this.#peers].filter((peer) => peer.ws.readyState === peer.ws.OPEN);
  }

  /** A stuck process that comes back has forgotten the handshakes it never answered: reset them. */
  #releaseStalled(): void {
    for (const socket of this.#stalled) socket.destroy();
    this.#stalled.clear();
  }

  /**
   * A 1001 "going away" close frame, as a pod shutting down sends; `hold`: read
   * nothing more (the client's close frame included) until the fault changes.
   */
  #goAway(peer: Peer, hold: boolean): void {
    this.#hit('going_away');
    peer.goneAway = true;
    if (hold) {
      peer.socket.pause();
      this.#heldCloses.add(peer);
    }
    peer.ws.close(1001, 'going away');
  }

  #releaseHeldCloses(): void {
    for (const peer of this.#heldCloses) peer.socket.resume();
    this.#heldCloses.clear();
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    this.#stats.connections++;
    const userAgent = req.headers['user-agent'] ?? '(none)';
    this.#stats.userAgents[userAgent] = (this.#stats.userAgents[userAgent] ?? 0) + 1;
    const fault = this.#fault;
    const peer: Peer = {
      ws,
      socket: req.socket,
      goneAway: false,
      dropAfter: fault.kind === 'drop_mid_stream' ? fault.afterFrames : undefined,
      dropped: false,
    };
    this.#peers.add(peer);
    ws.on('error', () => {});
    ws.on('close', (code: number) => {
      this.#peers.delete(peer);
      this.#heldCloses.delete(peer);
      this.#stats.closeCodes[code] = (this.#stats.closeCodes[code] ?? 0) + 1;
    });
    ws.on('ping', (data: Buffer) => {
      this.#stats.pings++;
      if (this.#fault.kind !== 'hang') ws.pong(data);
      else this.#hit('hang');
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#receive(peer, data, isBinary));
    if (fault.kind === 'close') {
      this.#hit('close');
      ws.close(fault.code ?? 1011, 'pusher internal error');
    } else if (fault.kind === 'drop_mid_stream' && fault.afterFrames === 0) {
      this.#hit('drop_mid_stream');
      ws.terminate();
    } else if (fault.kind === 'going_away') {
      this.#goAway(peer, fault.holdClose === true);
    }
  }

  #receive(peer: Peer, data: Buffer, isBinary: boolean): void {
    if (peer.dropped) return;
    const frame = isBinary ? parseClientFrame(data) : ({ opcode: 'malformed', reason: 'text frame' } as const);
    if (frame.opcode === 'malformed') {
      this.#stats.malformedFrames++;
    } else {
      const key = String(frame.opcode);
      this.#stats.framesByOpcode[key] = (this.#stats.framesByOpcode[key] ?? 0) + 1;
    }
    if (peer.dropAfter !== undefined) {
      peer.dropAfter--;
      if (peer.dropAfter <= 0) {
        this.#hit('drop_mid_stream');
        peer.dropped = true;
        peer.ws.terminate();
        return;
      }
    }
    const fault = this.#fault;
    if (fault.kind === 'hang') this.#hit('hang');
    if (fault.kind === 'hang' || frame.opcode === 'malformed') return;
    switch (frame.opcode) {
      case 101:
        this.#stats.audioBytes += frame.audioBytes;
        return;
      case 102:
        this.#stats.transcriptSegments += frame.segments;
        return;
      case 104:
        this.#stats.conversationRequests++;
        if (fault.kind === 'process_error') {
          this.#hit('process_error');
          peer.ws.send(
            conversationResultFrame({
              conversation_id: frame.conversationId,
              error: fault.error ?? 'processing failed',
            }),
          );
        } else if (fault.kind === 'malformed') {
          this.#hit('malformed');
          for (const make of Object.values(MALFORMED_FRAMES)) peer.ws.send(make(), { binary: true });
        } else {
          this.#processed.set(frame.conversationId, (this.#processed.get(frame.conversationId) ?? 0) + 1);
          this.#stats.conversationsProcessed++;
          peer.ws.send(conversationResultFrame({ conversation_id: frame.conversationId, success: true }));
        }
        return;
      default:
        return;
    }
  }
}
