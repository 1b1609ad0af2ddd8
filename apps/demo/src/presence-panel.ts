import type { Member, Presence } from '@herald/client';
import { formatAge, formatClock } from './time-format.js';

export interface PresenceElements {
  list: HTMLElement;
  count: HTMLElement;
  empty: HTMLElement;
  activity: HTMLElement;
}

const LEAVE_ANIMATION_MS = 350;
const ACTIVITY_LINES = 6;

/**
 * The live presence panel: one row per member (`li[data-member-name]`), in the order they joined,
 * with who they are and since when they are connected; a count; and the last few joins and leaves.
 * A leaving row loses its `data-member-name` at once and fades out.
 */
export class PresencePanel {
  readonly #elements: PresenceElements;
  /** This page's client id now (a new one after each reconnect). */
  readonly #selfId: () => string;
  readonly #rows = new Map<string, { row: HTMLElement; member: Member }>();
  readonly #ticker: ReturnType<typeof setInterval>;

  constructor(elements: PresenceElements, selfId: () => string) {
    this.#elements = elements;
    this.#selfId = selfId;
    this.#ticker = setInterval(() => this.#refreshAges(), 1000);
  }

  /** Follows a presence view until it ends. */
  attach(view: Presence): void {
    this.#elements.list.closest('section')?.removeAttribute('data-stale');
    this.#sync(view.members());
    view.on('join', (member) => this.#log(`${member.name} joined`, 'join'));
    view.on('leave', (member, reason) => this.#log(`${member.name} ${reason === 'dropped' ? 'dropped' : 'left'}`, reason === 'dropped' ? 'drop' : 'leave'));
    view.on('change', (members) => this.#sync(members));
    view.on('end', () => this.#elements.list.closest('section')?.setAttribute('data-stale', ''));
  }

  dispose(): void {
    clearInterval(this.#ticker);
  }

  /** Makes the rows match `members`: adds the new ones, takes out the gone ones. */
  #sync(members: readonly Member[]): void {
    const ids = new Set(members.map((member) => member.id));
    for (const [id, { row }] of this.#rows) {
      if (ids.has(id)) continue;
      this.#rows.delete(id);
      delete row.dataset.memberName;
      delete row.dataset.self;
      row.dataset.leaving = '';
      setTimeout(() => row.remove(), LEAVE_ANIMATION_MS);
    }
    for (const member of members) {
      if (this.#rows.has(member.id)) continue;
      const row = this.#row(member);
      this.#rows.set(member.id, { row, member });
      this.#elements.list.append(row);
    }
    this.#elements.count.textContent = String(members.length);
    this.#elements.empty.hidden = members.length > 0;
  }

  #row(member: Member): HTMLElement {
    const row = document.createElement('li');
    row.className = 'member';
    row.dataset.memberName = member.name;
    row.dataset.memberId = member.id;
    const kind = describeKind(member.info);
    row.dataset.kind = kind.kind;
    const isSelf = member.id === this.#selfId();
    if (isSelf) row.dataset.self = '';

    const avatar = document.createElement('span');
    avatar.className = 'avatar';
    avatar.textContent = member.name.slice(0, 1).toUpperCase();
    avatar.style.setProperty('--hue', String(hue(member.name)));
    avatar.setAttribute('aria-hidden', 'true');

    const main = document.createElement('div');
    main.className = 'member-main';
    const name = document.createElement('span');
    name.className = 'member-name';
    name.textContent = member.name;
    const meta = document.createElement('span');
    meta.className = 'member-meta';
    meta.textContent = kind.label;
    meta.title = kind.label;
    main.append(name);
    if (isSelf) main.append(Object.assign(document.createElement('span'), { className: 'member-you', textContent: 'you' }));
    main.append(meta);

    const since = document.createElement('div');
    since.className = 'member-since';
    const time = document.createElement('time');
    time.dateTime = member.connectedAt.toISOString();
    time.textContent = `since ${formatClock(member.connectedAt)}`;
    time.title = member.connectedAt.toString();
    const age = document.createElement('span');
    age.className = 'member-age';
    age.textContent = formatAge(Date.now() - member.connectedAt.getTime());
    since.append(time, age);

    row.append(avatar, main, since);
    return row;
  }

  #refreshAges(): void {
    const now = Date.now();
    for (const { row, member } of this.#rows.values()) {
      const age = row.querySelector('.member-age');
      if (age !== null) age.textContent = formatAge(now - member.connectedAt.getTime());
    }
  }

  #log(text: string, kind: 'join' | 'leave' | 'drop'): void {
    const line = document.createElement('li');
    line.dataset.kind = kind;
    line.append(Object.assign(document.createElement('time'), { textContent: formatClock(new Date()) }), ` ${text}`);
    this.#elements.activity.prepend(line);
    while (this.#elements.activity.childElementCount > ACTIVITY_LINES) this.#elements.activity.lastElementChild?.remove();
  }
}

/** What a member's info says it is: `{ kind: 'node', role: 'captain' }` reads "node · captain". */
function describeKind(info: unknown): { kind: string; label: string } {
  if (typeof info !== 'object' || info === null) return { kind: 'client', label: 'client' };
  const { kind, role, agent } = info as { kind?: unknown; role?: unknown; agent?: unknown };
  const name = typeof kind === 'string' ? kind : 'client';
  const detail = typeof role === 'string' ? role : typeof agent === 'string' ? agent : undefined;
  return { kind: name, label: detail === undefined ? name : `${name} · ${detail}` };
}

function hue(text: string): number {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}
