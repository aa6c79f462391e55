// check.js drives a running `dsclone sim` with Docusign's own Node Admin SDK
// (docusign-admin): it obtains a token with the JWT grant, lists the asset
// group accounts, clones one, reads the clone back, lists the clones and
// waits for the clone to complete. Every status it reads must be one of the
// SDK's enum values. Usage: node check.js '<first JSON line of dsclone sim>'
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const assert = require('assert');
const admin = require('docusign-admin');

const SCOPES = 'signature impersonation asset_group_account_read ' +
  'asset_group_account_clone_write asset_group_account_clone_read';

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// signAssertion builds the RS256 JWT of the JWT grant with node's crypto, an
// implementation independent of the simulator's Go code.
function signAssertion(info, audience) {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({
    iss: info.integration_key, sub: info.user_id, aud: audience,
    iat: now, exp: now + 3600, scope: SCOPES,
  }));
  const key = fs.readFileSync(info.private_key_file, 'utf8');
  const sig = crypto.createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
  return `${header}.${claims}.${base64url(sig)}`;
}

// jwtToken exchanges a signed assertion for an access token. The SDK's own
// requestJWTUserToken always calls https, which the loopback simulator does
// not serve, so the grant goes through fetch.
async function jwtToken(info) {
  const audience = new URL(info.auth_url).host;
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: signAssertion(info, audience),
  });
  const res = await fetch(`${info.auth_url}/oauth/token`, { method: 'POST', body });
  const json = await res.json();
  assert.strictEqual(res.status, 200, `token: ${JSON.stringify(json)}`);
  assert.strictEqual(json.token_type, 'Bearer');
  assert.ok(json.expires_in > 0, 'token: expires_in');
  return json.access_token;
}

function checkStatus(where, status) {
  const known = Object.values(admin.AssetGroupAccountClone.StatusEnum);
  assert.ok(known.includes(status), `${where}: status ${status} is not one of ${known.join(', ')}`);
}

function checkClone(where, clone) {
  assert.ok(clone instanceof admin.AssetGroupAccountClone, `${where}: not a clone record`);
  checkStatus(where, clone.status);
  assert.ok(clone.assetGroupWorkId, `${where}: assetGroupWorkId`);
  assert.ok(clone.assetGroupId, `${where}: assetGroupId`);
  assert.ok(clone.createdDate instanceof Date && !isNaN(clone.createdDate), `${where}: createdDate`);
  const workTypes = Object.values(admin.AssetGroupAccountClone.AssetGroupWorkTypeEnum);
  assert.ok(workTypes.includes(clone.assetGroupWorkType), `${where}: assetGroupWorkType`);
}

async function main() {
  const info = JSON.parse(process.argv[2]);
  const token = await jwtToken(info);

  const client = new admin.ApiClient();
  client.setBasePath(info.base_url);
  client.addDefaultHeader('Authorization', `Bearer ${token}`);
  const api = new admin.ProvisionAssetGroupApi(client);

  const accounts = await api.getAssetGroupAccounts(info.org_id, { compliant: true });
  assert.ok(accounts.assetGroupAccounts.length > 0, 'accounts: none');
  const source = accounts.assetGroupAccounts[0];
  assert.strictEqual(source.compliant, undefined, 'accounts: compliant=true omits compliant');
  console.log(`accounts: ${accounts.assetGroupAccounts.length}, cloning ${source.accountId}`);

  const request = admin.AssetGroupAccountClone.constructFromObject({
    sourceAccount: { id: source.accountId },
    targetAccount: {
      name: `SDK check ${Date.now()}`,
      countryCode: 'US',
      admin: { firstName: 'Ada', lastName: 'Lovelace', email: 'admin@example.com', locale: 'en' },
    },
  });
  const posted = await api.cloneAssetGroupAccount(request, info.org_id);
  checkClone('post', posted);
  assert.strictEqual(posted.status, 'Pending', 'post: status');
  assert.strictEqual(posted.targetAccount.id, '00000000-0000-0000-0000-000000000000');
  console.log(`posted: work ${posted.assetGroupWorkId} ${posted.status}`);

  let got;
  for (let i = 0; i < 40; i++) {
    got = await api.getAssetGroupAccountClone(info.org_id, posted.assetGroupId,
      posted.assetGroupWorkId, { includeDetails: true });
    checkClone('get', got);
    if (got.status === 'Completed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.strictEqual(got.status, 'Completed', 'get: never completed');
  assert.notStrictEqual(got.targetAccount.id, '00000000-0000-0000-0000-000000000000');
  console.log(`get: ${got.status}, new account ${got.targetAccount.id}`);

  const since = new Date(Date.now() - 3600 * 1000);
  const list = await api.getAssetGroupAccountClonesByOrgId(info.org_id,
    { sinceUpdatedDate: since, includeDetails: true });
  assert.ok(list instanceof admin.AssetGroupAccountClones, 'list: not a clone list');
  list.assetGroupWorks.forEach((c, i) => checkClone(`list[${i}]`, c));
  const found = list.assetGroupWorks.find((c) => c.assetGroupWorkId === posted.assetGroupWorkId);
  assert.ok(found, 'list: the new clone is missing');
  console.log(`list: ${list.assetGroupWorks.length} clone(s), the new one ${found.status}`);

  let rejected;
  try {
    await api.getAssetGroupAccounts('00000000-0000-0000-0000-000000000001', {});
  } catch (err) {
    rejected = err;
  }
  // The SDK rejects with {statusCode, header, body}.
  assert.ok(rejected && rejected.statusCode === 404, 'unknown organization: want 404');
  assert.ok(rejected.body && rejected.body.errorCode, 'unknown organization: errorCode');
  assert.ok(rejected.header['x-docusign-tracetoken'], 'unknown organization: trace token');
  console.log(`unknown organization: 404 ${rejected.body.errorCode}`);
  console.log('sdk check: ok');
}

main().catch((err) => {
  // The SDK rejects with {statusCode, body}; assertions throw Errors.
  const detail = err instanceof Error ? err.message : `${err.statusCode} ${JSON.stringify(err.body)}`;
  console.error(`sdk check: FAILED: ${detail}`);
  process.exit(1);
});
