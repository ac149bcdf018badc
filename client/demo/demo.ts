import {
  connect,
  type ConnectOptions,
  type Notification,
  type NotifyClient,
  type Status,
} from '../src/index.js';

interface DevTokens {
  token: string;
  publisherToken: string;
}

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;
const signin = $<HTMLFormElement>('#signin');
const publish = $<HTMLFormElement>('#publish');
const field = (name: string) => $<HTMLElement>(`#status [data-field="${name}"]`);

let client: NotifyClient | null = null;
let publisherToken = '';

async function mintTokens(userId: string): Promise<DevTokens> {
  const res = await fetch('/dev/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok)
    throw new Error(((await res.json()) as { message?: string }).message ?? res.statusText);
  return (await res.json()) as DevTokens;
}

async function start(user: string, channels: string[], transport: string): Promise<void> {
  client?.close();
  document.querySelectorAll('#channels > section').forEach((s) => s.remove());
  const tokens = await mintTokens(user);
  publisherToken = tokens.publisherToken;
  field('user').textContent = user;
  publish.userId.value = user;
  client = connect({
    url: location.origin,
    token: tokens.token,
    getToken: async () => (await mintTokens(user)).token,
    channels,
    transport: transport as ConnectOptions['transport'],
  });
  client.on('status', showStatus);
  client.on('notification', showNotification);
  client.on('reset', (r) => {
    field('error').textContent = `reset: continue from ${r.id} (${r.reason})`;
  });
  const q = new URLSearchParams({ user, transport });
  if (channels.length) q.set('channels', channels.join(','));
  history.replaceState(null, '', `?${q}`);
}

function showStatus(s: Status): void {
  const values: Record<string, string> = {
    state: s.state,
    transport: s.transport ?? '–',
    role: s.role,
    lastEventId: s.lastEventId ?? '–',
    heartbeats: s.lastHeartbeatAt
      ? `${s.heartbeats} (last ${new Date(s.lastHeartbeatAt).toLocaleTimeString()})`
      : String(s.heartbeats),
    error: s.error ?? '–',
  };
  for (const [name, value] of Object.entries(values)) {
    const el = field(name);
    el.textContent = value;
    el.dataset.value = name === 'heartbeats' ? String(s.heartbeats) : value;
  }
}

function showNotification(n: Notification): void {
  let section = document.querySelector<HTMLElement>(
    `#channels > section[data-channel="${CSS.escape(n.channel)}"]`,
  );
  if (!section) {
    section = document.createElement('section');
    section.dataset.channel = n.channel;
    section.append(Object.assign(document.createElement('h2'), { textContent: n.channel }));
    section.append(document.createElement('ol'));
    $('#channels').append(section);
  }
  const li = document.createElement('li');
  li.dataset.id = n.id;
  const head = document.createElement('div');
  head.append(
    Object.assign(document.createElement('strong'), { textContent: n.type }),
    ' ',
    Object.assign(document.createElement('code'), { textContent: n.id }),
    ' ',
    Object.assign(document.createElement('span'), {
      className: 'muted',
      textContent: new Date(n.createdAt).toLocaleTimeString(),
    }),
  );
  const payload = Object.assign(document.createElement('div'), {
    className: 'payload',
    textContent: JSON.stringify(n.payload),
  });
  li.append(head, payload);
  section.querySelector('ol')!.append(li);
}

signin.addEventListener('submit', (e) => {
  e.preventDefault();
  const channels = String(signin.channels.value)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  start(String(signin.user.value).trim(), channels, String(signin.transport.value)).catch(
    (err: Error) => (field('error').textContent = err.message),
  );
});

publish.addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = $<HTMLElement>('#publish-result');
  let payload: unknown;
  try {
    payload = JSON.parse(String(publish.payload.value) || 'null');
  } catch {
    out.textContent = 'payload is not valid JSON';
    return;
  }
  const res = await fetch('/v1/notifications', {
    method: 'POST',
    headers: { authorization: `Bearer ${publisherToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      userId: publish.userId.value,
      channel: publish.channel.value,
      type: publish.type.value,
      payload,
    }),
  });
  const body = (await res.json()) as { results?: { id: string }[]; message?: string };
  out.textContent = res.ok
    ? `accepted as ${body.results![0].id}`
    : `${res.status}: ${body.message}`;
});

// `?user=alice&channels=chat&transport=auto` signs in at once: handy for several tabs (and tests).
const params = new URLSearchParams(location.search);
const user = params.get('user');
if (user) {
  signin.user.value = user;
  signin.channels.value = params.get('channels') ?? '';
  signin.transport.value = params.get('transport') ?? 'auto';
  signin.requestSubmit();
}
