// The IAM actions the console uses, over client.js (form POSTs signed for `iam`).

import { all, text } from './client.js';

const names = (doc, element, field) => all(doc, element).map((m) => text(m, field));

export const listUsers = async (c) => names(await c.iam('ListUsers'), 'member', 'UserName');
export const listGroups = async (c) => names(await c.iam('ListGroups'), 'member', 'GroupName');
export const createUser = (c, user) => c.iam('CreateUser', { UserName: user });
export const deleteUser = (c, user) => c.iam('DeleteUser', { UserName: user });
export const createGroup = (c, group) => c.iam('CreateGroup', { GroupName: group });
export const deleteGroup = (c, group) => c.iam('DeleteGroup', { GroupName: group });
export const addToGroup = (c, user, group) => c.iam('AddUserToGroup', { UserName: user, GroupName: group });
export const removeFromGroup = (c, user, group) => c.iam('RemoveUserFromGroup', { UserName: user, GroupName: group });
export const groupsOfUser = async (c, user) => names(await c.iam('ListGroupsForUser', { UserName: user }), 'member', 'GroupName');
export const membersOf = async (c, group) => names(await c.iam('GetGroup', { GroupName: group }), 'member', 'UserName');

export async function accessKeys(c, user) {
  return all(await c.iam('ListAccessKeys', { UserName: user }), 'member').map((m) => ({
    id: text(m, 'AccessKeyId'),
    status: text(m, 'Status'),
    created: text(m, 'CreateDate'),
  }));
}

/** Creates a key; the secret is in the answer only, never readable again. */
export async function createAccessKey(c, user) {
  const doc = await c.iam('CreateAccessKey', { UserName: user });
  return { id: text(doc, 'AccessKeyId'), secret: text(doc, 'SecretAccessKey') };
}

export const setKeyStatus = (c, user, id, status) => c.iam('UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: status });
export const deleteAccessKey = (c, user, id) => c.iam('DeleteAccessKey', { UserName: user, AccessKeyId: id });

/** Managed policies: [{ name, arn, version }]. */
export async function listPolicies(c) {
  return all(await c.iam('ListPolicies'), 'member').map((m) => ({
    name: text(m, 'PolicyName'),
    arn: text(m, 'Arn'),
    version: text(m, 'DefaultVersionId'),
  }));
}

/** The default version's document, decoded and pretty-printed. */
export async function policyDocument(c, policy) {
  const doc = await c.iam('GetPolicyVersion', { PolicyArn: policy.arn, VersionId: policy.version || 'v1' });
  const raw = decodeURIComponent(text(doc, 'Document'));
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

/** Attached policies of a user or group (`kind` 'User' or 'Group'). */
export async function attached(c, kind, name) {
  const doc = await c.iam(`ListAttached${kind}Policies`, { [`${kind}Name`]: name });
  return all(doc, 'member').map((m) => ({ name: text(m, 'PolicyName'), arn: text(m, 'PolicyArn') }));
}

export const attach = (c, kind, name, arn) => c.iam(`Attach${kind}Policy`, { [`${kind}Name`]: name, PolicyArn: arn });
export const detach = (c, kind, name, arn) => c.iam(`Detach${kind}Policy`, { [`${kind}Name`]: name, PolicyArn: arn });
