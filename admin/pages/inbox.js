// inbox.js — #/inbox: guests' messages as threads by guest and channel,
// the messages Lucia could not link to a guest, and replies by SMS or
// WhatsApp (POST /api/messages, SPEC §7). WhatsApp only allows a free-form
// reply within 24 hours of the guest's last WhatsApp message; the page
// shows whether that window is open before anything is sent.

import { debounce, h, replace } from '../lib/dom.js';
import { ApiError, getAll, idempotencyKey, post } from '../lib/api.js';
import { badge, empty, errorBox, errorText, pageHeader, section } from '../lib/ui.js';
import { dateTime, label, relative } from '../lib/format.js';
import { identity } from '../lib/session.js';

const WINDOW_MS = 24 * 3600 * 1000;
const REPLY_MAX = 1600;

// Field names as intake writes them, with the likely alternatives.
const at = (m) => m.created_at || m.received_at || m.at;
const text = (m) => m.body || m.subject || (m.media && m.media !== '[]' ? '(media)' : '');
const inbound = (m) => m.direction !== 'outbound';
const channelOf = (m) => (m.channel === 'mms' ? 'sms' : m.channel || 'sms');
const threadKey = (m) => m.thread_id || `${m.guest_id || m.from_addr || 'unknown'}:${channelOf(m)}`;
const sender = (m) => m.from_addr || 'unknown sender';
const CHANNEL_NAMES = { sms: 'SMS', mms: 'MMS', whatsapp: 'WhatsApp', email: 'Email' };
const channelName = (c) => CHANNEL_NAMES[c] || label(c);

export default function mount(container, { params, live }) {
  let stopped = false;
  let selected = params.get('thread');
  const wantGuest = params.get('guest');
  const wantMessage = params.get('message');

  const threadsCard = section('Threads', { id: 'threads', class: 'o1', hint: 'By guest and channel, newest first.' });
  const unlinkedCard = section('Unlinked messages', { id: 'unlinked', class: 'o3', hint: 'From senders Lucia could not match to a guest by phone or email.' });
  const pane = h('section', { class: 'card thread-pane o2', 'aria-labelledby': 'thread-title' }, h('h2', { id: 'thread-title' }, 'Conversation'), h('p', { class: 'empty' }, 'Choose a thread to read it and reply.'));
  replace(container, pageHeader('Inbox', 'SMS, WhatsApp and email from guests, and your replies.'), h('div', { class: 'inbox' }, h('div', { class: 'column' }, threadsCard, unlinkedCard), pane));

  let state = { messages: [], guests: new Map() };
  // A live refresh redraws the thread: what the operator is typing survives.
  const drafts = new Map();
  let sentNote = null; // {key, text}: "queued", kept across the refresh it causes

  async function load() {
    try {
      const [msgs, unlinked, guests] = await Promise.all([
        getAll('/api/messages', {}, { maxPages: 2 }),
        getAll('/api/messages', { unlinked: 'true' }, { maxPages: 1 }),
        getAll('/api/guests', {}, { maxPages: 4 }).catch(() => ({ rows: [] })),
      ]);
      if (stopped) return;
      state = { messages: msgs.rows, guests: new Map(guests.rows.map((g) => [g.id, g])) };
      renderThreads();
      renderUnlinked(unlinked.rows);
      renderPane();
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        const text = 'The inbox is not connected to this engine yet: no SMS, WhatsApp or email has been taken in, so there is nothing to show.';
        replace(threadsCard.body, empty(text));
        replace(unlinkedCard.body, empty('No unlinked messages.'));
        replace(pane, h('h2', { id: 'thread-title' }, 'Conversation'), empty('Nothing to read yet.'));
        return;
      }
      replace(threadsCard.body, errorBox(err));
    }
  }

  function threads() {
    const map = new Map();
    for (const m of state.messages) {
      if (!m.guest_id) continue;
      const key = threadKey(m);
      if (!map.has(key)) map.set(key, { key, guestId: m.guest_id, channel: channelOf(m), messages: [] });
      map.get(key).messages.push(m);
    }
    const list = [...map.values()];
    list.forEach((t) => t.messages.sort((a, b) => String(at(a)).localeCompare(String(at(b)))));
    list.sort((a, b) => String(at(b.messages.at(-1))).localeCompare(String(at(a.messages.at(-1)))));
    return list;
  }

  function guestName(id) {
    const g = state.guests.get(id);
    return g ? g.name : 'Guest';
  }

  function renderThreads() {
    const list = threads();
    if (!selected && wantMessage) {
      const m = state.messages.find((x) => x.id === wantMessage);
      if (m) selected = threadKey(m);
    }
    if (!selected && wantGuest) {
      const t = list.find((x) => x.guestId === wantGuest);
      if (t) selected = t.key;
    }
    // Side by side, an empty conversation pane helps nobody: open the newest.
    if (!selected && list.length && matchMedia('(min-width: 1000px)').matches) selected = list[0].key;
    threadsCard.setCount(list.length);
    if (!list.length) {
      replace(threadsCard.body, empty(wantGuest ? `No messages with ${guestName(wantGuest)} yet.` : 'No messages from guests yet.'));
      return;
    }
    replace(
      threadsCard.body,
      h(
        'ul',
        { class: 'threads' },
        list.map((t) => {
          const last = t.messages.at(-1);
          const a = h(
            'a',
            { class: 'thread-link', href: `#/inbox?thread=${encodeURIComponent(t.key)}`, 'aria-current': t.key === selected ? 'true' : 'false' },
            h('span', { class: 'thread-top' }, h('span', null, guestName(t.guestId)), h('span', null, t.messages.some((m) => m.needs_human) ? badge('needs you', 'warn') : null, ' ', h('span', { class: 'badge badge-quiet' }, channelName(t.channel)))),
            h('span', { class: 'thread-snippet' }, `${inbound(last) ? '' : 'You: '}${text(last)}`),
            h('span', { class: 'row-meta' }, relative(at(last))),
          );
          a.addEventListener('click', (ev) => {
            ev.preventDefault();
            selected = t.key;
            history.replaceState(null, '', `#/inbox?thread=${encodeURIComponent(t.key)}`);
            renderThreads();
            renderPane();
            pane.querySelector('h2')?.focus();
          });
          return h('li', null, a);
        }),
      ),
    );
  }

  function renderUnlinked(rows) {
    unlinkedCard.setCount(rows.length);
    const who = identity();
    if (!rows.length && who && (who.role === 'operator' || who.role === 'viewer')) {
      // They belong to no property, so only owners and the service key see them.
      replace(unlinkedCard.body, empty('Messages from unknown senders belong to no property, so only an owner sees them.'));
      return;
    }
    if (!rows.length) {
      replace(unlinkedCard.body, empty('No unlinked messages.'));
      return;
    }
    replace(
      unlinkedCard.body,
      h(
        'ul',
        { class: 'rows' },
        rows.map((m) =>
          h('li', { class: 'row' }, h('div', { class: 'row-main' }, h('div', { class: 'row-title' }, sender(m)), h('div', { class: 'details-text' }, text(m)), h('div', { class: 'row-meta' }, `${channelName(m.channel)} · ${dateTime(at(m))}`))),
        ),
      ),
    );
  }

  function renderPane() {
    const t = threads().find((x) => x.key === selected);
    if (!t) {
      replace(pane, h('h2', { id: 'thread-title', tabindex: '-1' }, 'Conversation'), empty('Choose a thread to read it and reply.'));
      return;
    }
    const name = guestName(t.guestId);
    const typing = document.activeElement && document.activeElement.id === 'reply-body';
    const list = h(
      'ol',
      { class: 'messages' },
      t.messages.map((m) =>
        h(
          'li',
          { class: `message ${inbound(m) ? 'message-in' : 'message-out'}` },
          m.subject && m.channel === 'email' ? h('strong', null, m.subject) : null,
          h('p', { class: 'message-body' }, text(m)),
          h('span', { class: 'message-meta' }, `${inbound(m) ? name : 'You'} · ${channelName(m.channel)} · ${dateTime(at(m))}`, !inbound(m) && m.status ? ` · ${label(m.status)}` : ''),
          m.item_id ? h('span', { class: 'message-meta' }, 'Lucia filed it as a request: ', h('a', { href: `#/items/${encodeURIComponent(m.item_id)}` }, 'open the item')) : null,
        ),
      ),
    );
    replace(pane, h('h2', { id: 'thread-title', tabindex: '-1' }, `${name} · ${channelName(t.channel)}`), list, replyForm(t, name));
    if (typing) pane.querySelector('#reply-body')?.focus();
  }

  function lastWhatsApp(guestId) {
    const times = state.messages.filter((m) => m.guest_id === guestId && channelOf(m) === 'whatsapp' && inbound(m)).map((m) => Date.parse(at(m)));
    return times.length ? Math.max(...times) : null;
  }

  function replyForm(t, name) {
    const channel = h('select', { id: 'reply-channel', name: 'channel' }, h('option', { value: 'sms' }, 'SMS'), h('option', { value: 'whatsapp' }, 'WhatsApp'));
    const draft = drafts.get(t.key) || {};
    channel.value = draft.channel || (t.channel === 'whatsapp' ? 'whatsapp' : 'sms');
    const body = h('textarea', { id: 'reply-body', name: 'body', rows: '3', maxlength: String(REPLY_MAX), required: true });
    body.value = draft.body || '';
    const keep = () => drafts.set(t.key, { channel: channel.value, body: body.value });
    body.addEventListener('input', keep);
    channel.addEventListener('change', keep);
    const rule = h('div', { class: 'window-rule', 'aria-live': 'polite' });
    const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
    if (sentNote && sentNote.key === t.key) status.append(h('p', { class: 'notice notice-ok', role: 'status' }, sentNote.text));
    const send = h('button', { type: 'submit', class: 'button' }, 'Send reply');
    const guest = state.guests.get(t.guestId);

    const showRule = () => {
      if (channel.value !== 'whatsapp') {
        const phone = guest && guest.phone;
        replace(rule, h('p', { class: 'hint' }, phone ? `Sent by SMS to ${name}’s phone on file.` : `${name} has no phone number on file; an SMS cannot be delivered.`));
        send.disabled = !phone;
        return;
      }
      const last = lastWhatsApp(t.guestId);
      const closes = last ? last + WINDOW_MS : null;
      if (closes && closes > Date.now()) {
        replace(rule, h('p', { class: 'notice notice-ok' }, `WhatsApp window open until ${dateTime(new Date(closes).toISOString())}: free-form replies are allowed for 24 hours after ${name}’s last WhatsApp message.`));
        send.disabled = false;
      } else {
        replace(
          rule,
          h(
            'p',
            { class: 'notice notice-warn' },
            last
              ? `WhatsApp window closed: ${name}’s last WhatsApp message was ${dateTime(new Date(last).toISOString())}, more than 24 hours ago, so WhatsApp refuses a free-form reply. Reply by SMS instead.`
              : `WhatsApp window closed: ${name} has not written on WhatsApp, so WhatsApp refuses a free-form reply. Reply by SMS instead.`,
          ),
        );
        send.disabled = true;
      }
    };
    channel.addEventListener('change', showRule);
    showRule();

    const form = h(
      'form',
      { class: 'reply-form', novalidate: true },
      h('h3', null, 'Reply'),
      h('label', { for: 'reply-channel' }, 'Channel'),
      channel,
      rule,
      h('label', { for: 'reply-body' }, 'Message'),
      body,
      status,
      h('div', { class: 'button-row' }, send),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const value = body.value.trim();
      if (!value) {
        replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, 'Write a message first.'));
        body.focus();
        return;
      }
      send.disabled = true;
      sentNote = null;
      replace(status, h('p', { class: 'loading', role: 'status' }, 'Queuing…'));
      try {
        await post('/api/messages', { guest_id: t.guestId, channel: channel.value, body: value }, { idempotencyKey: idempotencyKey() });
        body.value = '';
        drafts.delete(t.key);
        sentNote = { key: t.key, text: 'Queued in the outbox. Its delivery status appears here when Twilio reports it.' };
        replace(status, h('p', { class: 'notice notice-ok', role: 'status' }, sentNote.text));
        load();
      } catch (err) {
        send.disabled = false;
        const msg = err instanceof ApiError && err.code === 'whatsapp_window_closed' ? 'WhatsApp refused: the 24-hour window is closed. Reply by SMS instead.' : errorText(err);
        replace(status, h('p', { class: 'notice notice-bad', role: 'alert' }, msg));
      }
    });
    return form;
  }

  load();
  const refresh = debounce(load, 500);
  const unsubscribe = live.subscribe((m) => {
    if (m.type === 'open' || (m.type === 'event' && /message|guest/.test(m.event.entity_type || ''))) refresh();
  });
  return () => {
    stopped = true;
    refresh.cancel();
    unsubscribe();
  };
}
