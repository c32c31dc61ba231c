// IAM users and groups: create and delete, group membership, access keys (the secret shown
// once), managed policies attached and detached, each policy's document viewable.

import * as iam from '../iamapi.js';
import { attempt, field, formatDate, h, render, showInfo } from '../ui.js';

export async function showIam(s) {
  const c = s.client;
  const users = h('ul', { id: 'user-list' });
  const groups = h('ul', { id: 'group-list' });
  const detail = h('div', { id: 'iam-detail' });
  let policies = [];

  const createForm = (label, id, action) => {
    const input = h('input', { id, required: true, spellcheck: 'false' });
    return h(
      'form',
      {
        class: 'row',
        onsubmit: async (e) => {
          e.preventDefault();
          const name = input.value.trim();
          if (await attempt(() => action(c, name).then(() => true), label)) {
            input.value = '';
            showInfo(`${label}: ${name} done.`);
            await refresh();
          }
        },
      },
      field(label, input),
      h('button', { type: 'submit', class: 'primary' }, 'Create'),
    );
  };

  render(
    h('h2', {}, 'Users and groups'),
    h('div', { class: 'panel' }, h('h3', {}, 'Users'), createForm('New user name', 'new-user', iam.createUser), users),
    h('div', { class: 'panel' }, h('h3', {}, 'Groups'), createForm('New group name', 'new-group', iam.createGroup), groups),
    detail,
  );

  async function refresh() {
    const [u, g, p] = await Promise.all([
      attempt(() => iam.listUsers(c), 'List users'),
      attempt(() => iam.listGroups(c), 'List groups'),
      attempt(() => iam.listPolicies(c), 'List policies'),
    ]);
    policies = p || [];
    users.replaceChildren(...(u || []).map((name) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => showEntity('User', name) }, name))));
    groups.replaceChildren(...(g || []).map((name) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => showEntity('Group', name) }, name))));
  }

  // The panel of one user or group: policies, membership and (users) keys.
  async function showEntity(kind, name) {
    const sections = [h('h3', { tabindex: '-1' }, `${kind} ${name}`)];
    sections.push(await policySection(kind, name));
    sections.push(kind === 'User' ? await groupSection(name) : await memberSection(name));
    if (kind === 'User') sections.push(await keySection(name));
    const remove = kind === 'User' ? iam.deleteUser : iam.deleteGroup;
    sections.push(
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          if (!confirm(`Delete ${kind.toLowerCase()} ${name}?`)) return;
          if (await attempt(() => remove(c, name).then(() => true), `Delete ${name}`)) {
            detail.replaceChildren();
            showInfo(`${kind} ${name} deleted.`);
            await refresh();
          }
        },
      }, `Delete ${kind.toLowerCase()}`),
    );
    detail.replaceChildren(h('section', { class: 'panel', id: 'entity' }, sections));
    detail.querySelector('h3').focus();
  }

  const reopen = (kind, name, message) => async () => {
    showInfo(message);
    await showEntity(kind, name);
  };

  async function policySection(kind, name) {
    const list = (await attempt(() => iam.attached(c, kind, name), 'Attached policies')) || [];
    const select = h('select', { id: 'attach-policy' }, policies.filter((p) => !list.some((a) => a.arn === p.arn)).map((p) => h('option', { value: p.arn }, p.name)));
    const view = h('pre', { class: 'muted', id: 'policy-document' });
    const show = async (arn) => {
      const policy = policies.find((p) => p.arn === arn);
      const text = policy && (await attempt(() => iam.policyDocument(c, policy), 'Policy document'));
      view.textContent = text || '';
    };
    return h(
      'div',
      {},
      h('h4', {}, 'Managed policies'),
      h('ul', {}, list.map((p) => h('li', {}, p.name, ' ',
        h('button', { type: 'button', onclick: () => show(p.arn) }, 'View'), ' ',
        h('button', { type: 'button', class: 'danger', onclick: async () => (await attempt(() => iam.detach(c, kind, name, p.arn), 'Detach')) && reopen(kind, name, `Detached ${p.name}.`)() }, 'Detach')))),
      h('div', { class: 'row' }, field('Attach a policy', select),
        h('button', { type: 'button', onclick: () => show(select.value) }, 'View'),
        h('button', { type: 'button', class: 'primary', id: 'attach-button', onclick: async () => select.value && (await attempt(() => iam.attach(c, kind, name, select.value), 'Attach')) && reopen(kind, name, 'Policy attached.')() }, 'Attach')),
      view,
    );
  }

  async function groupSection(user) {
    const mine = (await attempt(() => iam.groupsOfUser(c, user), 'Groups of user')) || [];
    const others = ((await attempt(() => iam.listGroups(c), 'List groups')) || []).filter((g) => !mine.includes(g));
    const select = h('select', { id: 'add-group' }, others.map((g) => h('option', { value: g }, g)));
    return h(
      'div',
      {},
      h('h4', {}, 'Groups'),
      h('ul', {}, mine.map((g) => h('li', {}, g, ' ', h('button', { type: 'button', onclick: async () => (await attempt(() => iam.removeFromGroup(c, user, g), 'Remove')) && reopen('User', user, `Removed from ${g}.`)() }, 'Remove')))),
      others.length ? h('div', { class: 'row' }, field('Add to group', select), h('button', { type: 'button', onclick: async () => (await attempt(() => iam.addToGroup(c, user, select.value), 'Add')) && reopen('User', user, `Added to ${select.value}.`)() }, 'Add')) : null,
    );
  }

  async function memberSection(group) {
    const members = (await attempt(() => iam.membersOf(c, group), 'Members')) || [];
    return h('div', {}, h('h4', {}, 'Members'), members.length ? h('ul', {}, members.map((u) => h('li', {}, u))) : h('p', { class: 'muted' }, 'No members; add users from their page.'));
  }

  async function keySection(user) {
    const keys = (await attempt(() => iam.accessKeys(c, user), 'Access keys')) || [];
    const secretBox = h('div', { id: 'new-key' });
    const rows = keys.map((k) => {
      const next = k.status === 'Active' ? 'Inactive' : 'Active';
      return h('tr', {}, h('td', {}, k.id), h('td', {}, k.status), h('td', { class: 'hide-narrow' }, formatDate(k.created)), h('td', {},
        h('button', { type: 'button', onclick: async () => (await attempt(() => iam.setKeyStatus(c, user, k.id, next), 'Update key')) && reopen('User', user, `Key ${k.id} is ${next}.`)() }, next === 'Active' ? 'Activate' : 'Deactivate'), ' ',
        h('button', { type: 'button', class: 'danger', onclick: async () => confirm(`Delete key ${k.id}?`) && (await attempt(() => iam.deleteAccessKey(c, user, k.id), 'Delete key')) && reopen('User', user, `Key ${k.id} deleted.`)() }, 'Delete')));
    });
    const create = async () => {
      const key = await attempt(() => iam.createAccessKey(c, user), 'Create key');
      if (!key) return;
      await showEntity('User', user);
      const box = document.getElementById('new-key');
      box.replaceChildren(
        h('p', {}, 'Copy the secret now: it is shown only once.'),
        h('div', { class: 'secret' }, 'Access key ID: ', h('span', { id: 'new-key-id' }, key.id)),
        h('div', { class: 'secret' }, 'Secret access key: ', h('span', { id: 'new-key-secret' }, key.secret)),
      );
      box.tabIndex = -1;
      box.focus();
    };
    return h(
      'div',
      {},
      h('h4', {}, 'Access keys'),
      h('table', { 'aria-label': `Access keys of ${user}` }, h('tbody', {}, rows)),
      h('button', { type: 'button', class: 'primary', id: 'create-key', onclick: create }, 'Create access key'),
      secretBox,
    );
  }

  await refresh();
}
