// Login lockout under concurrency (issue 16, point 3): 40 wrong passwords
// sent at once get at most five real password checks (each journaled as
// login.failed), whether through the API or the web form; while locked even
// the right password is refused; the lock ends after login_lockout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { newHarness, assertProblem, request, sleep, PASSWORD } from '../lib/harness.mjs';

const h = newHarness('login-lockout');
const LOCK_S = 8;   // long enough for a loaded machine to finish a burst within it
let s;

function apiLogin(email, password) {
	return request(s.d.url, { method: 'POST', path: '/api/v1/session',
		headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
}

// The web form: the CSRF token of the form must equal its pre-login cookie.
function webLogin(email, password) {
	const tok = crypto.randomBytes(24).toString('base64url');
	return request(s.d.url, { method: 'POST', path: '/connexion',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `liasse_prelogin=${tok}` },
		body: new URLSearchParams({ csrf: tok, email, password }).toString() });
}

async function checks(email) {
	return Number(await h.psql("SELECT count(*) FROM journal WHERE action = 'login.failed'" +
		` AND actor = 'person:${email}'`));
}

async function person(email) {
	await h.person({ email, name: 'Victime', password: PASSWORD, roles: [{ org: s.orgA, role: 'agent' }] });
}

describe('login lockout', () => {
	before(async () => {
		// a large pool, so that every try reaches the database at once
		s = await h.setup({ login_lockout: `${LOCK_S}s`, db_pool_size: 16,
			max_connections_per_address: 0 });   // 40 tries at once from one address
	});
	after(() => h.stopAll());

	it('40 wrong passwords at once through the API: five are checked, the rest refused as locked', async () => {
		const email = 'api@saint-essai.test';
		await person(email);
		const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => apiLogin(email, `wrong ${i}`)));
		const by = {};
		for (const r of rs)
			by[r.status] = (by[r.status] || 0) + 1;
		assert.deepEqual(by, { 401: 5, 403: 35 }, JSON.stringify(by));
		assert.equal(await checks(email), 5, 'five password checks, each journaled');
		const locked = rs.find((r) => r.status === 403);
		assertProblem(assert, locked, { status: 403, hint: true });
		assert.match(locked.json.title, /locked/);
		assert.equal(await h.psql(`SELECT failed_logins FROM person WHERE email = '${email}'`), '5');
	});

	it('while locked, the right password is refused unchecked (API and web form)', async () => {
		const email = 'api@saint-essai.test';
		const r = await apiLogin(email, PASSWORD);
		assertProblem(assert, r, { status: 403, hint: true });
		const w = await webLogin(email, PASSWORD);
		assert.equal(w.status, 403, w.text);
		assert.match(w.text, /verrouillée/);
		assert.equal(await checks(email), 5, 'no more checks');
		assert.equal(await h.psql("SELECT count(*) FROM journal WHERE action = 'login'" +
			` AND actor = 'person:${email}'`), '0');
	});

	it('the lock ends after login_lockout; a success clears the count', async () => {
		const email = 'api@saint-essai.test';
		await sleep(LOCK_S * 1000 + 500);
		const r = await apiLogin(email, PASSWORD);
		assert.equal(r.status, 201, r.text);
		assert.equal(await h.psql(`SELECT failed_logins || ' ' || (locked_at IS NULL) FROM person` +
			` WHERE email = '${email}'`), '0 true');
	});

	it('after the lock, five more tries are checked, then the login locks again', async () => {
		const email = 'api@saint-essai.test';
		const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => apiLogin(email, `again ${i}`)));
		assert.equal(rs.filter((r) => r.status === 401).length, 5);
		assert.equal(rs.filter((r) => r.status === 403).length, 7);
		assert.equal(await checks(email), 10);
	});

	it('40 wrong passwords at once through the web form and the API together: five checks', async () => {
		const email = 'web@saint-essai.test';
		await person(email);
		const rs = await Promise.all(Array.from({ length: 40 }, (_, i) =>
			(i % 2 ? webLogin : apiLogin)(email, `wrong ${i}`)));
		assert.equal(rs.filter((r) => r.status === 401).length, 5,
			rs.map((r) => r.status).join(' '));
		assert.equal(rs.filter((r) => r.status === 403).length, 35);
		assert.equal(await checks(email), 5);
	});
});
