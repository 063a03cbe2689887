/* liasse - a little JavaScript on top of pages that work without it:
 * "select all" in the queue, the selected count on the sign button, and
 * batch signing in steps with a progress bar and a result per document. */
'use strict';

function selected(form) {
	return Array.prototype.filter.call(form.querySelectorAll('input[name="doc"]'), function (c) { return c.checked; });
}

function updateCount(form) {
	var n = selected(form).length;
	var out = document.getElementById('selcount');
	if (out)
		out.textContent = n + (n > 1 ? ' documents sélectionnés' : ' document sélectionné');
	var b = form.querySelector('button[data-sign]');
	if (b)
		b.disabled = n === 0;
}

function setupQueue(form) {
	var all = document.getElementById('tout');
	if (all)
		all.addEventListener('change', function () {
			form.querySelectorAll('input[name="doc"]').forEach(function (c) { c.checked = all.checked; });
			updateCount(form);
		});
	form.addEventListener('change', function () { updateCount(form); });
	updateCount(form);
	form.addEventListener('submit', function (ev) { signInSteps(form, ev); });
}

/* "0 document signé sur 2", "2 documents signés sur 3": French puts 0 and 1
 * in the singular. */
function signedText(ok, total) {
	return ok + (ok > 1 ? ' documents signés' : ' document signé') + ' sur ' + total + '.';
}

/* A signed document leaves the queue at once: its row goes, the badge of
 * the navigation counts one less. */
function leaveQueue(form, id) {
	var box = form.querySelector('input[name="doc"][value="' + id + '"]');
	var row = box && box.closest('tr');
	if (row)
		row.parentNode.removeChild(row);
	var badge = document.querySelector('.badge');
	if (badge) {
		var n = Math.max(0, parseInt(badge.textContent, 10) - 1);
		if (n === 0) {
			badge.parentNode.removeChild(badge);
		} else {
			badge.textContent = String(n);
			badge.setAttribute('aria-label', n + (n > 1 ? ' documents à signer' : ' document à signer'));
		}
	}
}

function line(list, cls, text) {
	var li = document.createElement('li');
	li.className = cls;
	li.textContent = text;
	list.appendChild(li);
}

/* Signs the selection in steps of 10 with the one PIN typed. */
function signInSteps(form, ev) {
	var docs = selected(form).map(function (c) { return { id: c.value, title: c.getAttribute('data-title') || c.value }; });
	var pin = form.querySelector('input[name="pin"]');
	var box = document.getElementById('progression');
	if (ev.submitter && ev.submitter.hasAttribute('data-visa'))
		return;		/* "Viser": the form goes to the visa's own address */
	if (!docs.length || !box || !window.fetch)
		return;
	ev.preventDefault();
	var bar = box.querySelector('progress'), status = box.querySelector('[role="status"]');
	var list = box.querySelector('ul.results');
	var csrf = form.querySelector('input[name="csrf"]').value;
	var done = 0, ok = 0, step = 10;
	box.hidden = false;
	list.textContent = '';
	bar.max = docs.length;
	bar.value = 0;
	form.querySelectorAll('button, input').forEach(function (el) {
		if (el.id !== 'recharger')
			el.disabled = true;
	});
	function finish(msg) {
		status.textContent = msg;
		pin.value = '';
		var again = document.getElementById('recharger');
		if (again) {
			again.hidden = false;
			again.focus();
		}
	}
	function next() {
		if (done >= docs.length)
			return finish(signedText(ok, docs.length));
		var part = docs.slice(done, done + step);
		var body = new URLSearchParams();
		body.append('csrf', csrf);
		body.append('pin', pin.value);
		body.append('reponse', 'json');
		part.forEach(function (d) { body.append('doc', d.id); });
		status.textContent = 'Signature en cours : ' + done + ' sur ' + docs.length + '…';
		fetch('/parapheur/signer', { method: 'POST', body: body, credentials: 'same-origin',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
			.then(function (r) { return r.json(); })
			.then(function (res) {
				(res.results || []).forEach(function (r) {
					var t = (docs.find(function (d) { return d.id === r.id; }) || { title: r.id }).title;
					if (r.status === 'signed') {
						ok++;
						leaveQueue(form, r.id);
					}
					line(list, r.status === 'signed' ? 'res-ok' : 'res-error',
						t + ' : ' + (r.status === 'signed' ? 'signé' : (r.message || 'erreur')));
				});
				done += part.length;
				bar.value = ok;          /* what is signed, not what was tried */
				if (res.stop)
					return finish(res.stop);
				next();
			})
			.catch(function () { finish('La connexion au serveur a échoué ; rechargez la page.'); });
	}
	next();
}

document.addEventListener('DOMContentLoaded', function () {
	document.querySelectorAll('form[data-confirm]').forEach(function (f) {
		f.addEventListener('submit', function (ev) {
			if (!window.confirm(f.getAttribute('data-confirm')))
				ev.preventDefault();
		});
	});
	var q = document.getElementById('file-form');
	if (q)
		setupQueue(q);
	var reload = document.getElementById('recharger');
	if (reload)
		reload.addEventListener('click', function () { window.location.reload(); });
});
