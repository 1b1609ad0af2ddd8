/** The key and channel layout of one Herald cluster (see scripts.ts for what each holds). */
export class Keys {
  readonly index: string;
  readonly gen: string;
  readonly runId: string;
  readonly forgot: string;
  readonly nodes: string;
  readonly channelPrefix: string;
  readonly presenceChannel: string;
  readonly events: string;
  /** This node's inbox channel (its heartbeat ticks come back on it). */
  readonly inbox: string;
  readonly nodeMembers: string;
  readonly nodeClients: string;

  constructor(
    readonly prefix: string,
    readonly node: string,
  ) {
    this.index = `${prefix}ix`;
    this.gen = `${prefix}gen`;
    this.runId = `${prefix}runid`;
    this.forgot = `${prefix}forgot`;
    this.nodes = `${prefix}nodes`;
    this.channelPrefix = `${prefix}c:`;
    this.presenceChannel = `${prefix}p`;
    this.events = `${prefix}ev`;
    this.inbox = `${prefix}n:${node}`;
    this.nodeMembers = this.nodeMembersOf(node);
    this.nodeClients = this.nodeClientsOf(node);
  }

  meta(topic: string): string {
    return `${this.prefix}m:${topic}`;
  }
  stream(topic: string): string {
    return `${this.prefix}s:${topic}`;
  }
  dedupe(topic: string, pid: string): string {
    return `${this.prefix}d:${topic}:${pid}`;
  }
  channel(topic: string): string {
    return `${this.channelPrefix}${topic}`;
  }
  members(topic: string): string {
    return `${this.prefix}pm:${topic}`;
  }
  version(topic: string): string {
    return `${this.prefix}pv:${topic}`;
  }
  nodeMembersOf(node: string): string {
    return `${this.prefix}node:${node}:pm`;
  }
  nodeClientsOf(node: string): string {
    return `${this.prefix}node:${node}:clients`;
  }
}
