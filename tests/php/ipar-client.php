<?php
// ipar-client.php - drives liasse's i-Parapheur web services with PHP's own
// SoapClient, as a vendor's connector does (Pastell's
// connecteur/iParapheur/IParapheur.php: SoapClient on the WSDL URL with the
// login and password options).  Used by tests/integration/compat-iparapheur.test.mjs.
//
// stdin: {"wsdl": URL, "login": NAME, "password": KEY, "calls": [{"op": NAME, "arg": ...}]}
// In "arg", {"_b64": "..."} is replaced by the decoded bytes (SoapClient
// base64-encodes them itself).  stdout: one JSON array of results, each the
// answer as PHP sees it with every TypeDoc value ("_") base64-encoded, or
// {"fault": faultstring, "faultcode": code}.
$in = json_decode(stream_get_contents(STDIN), true);
// Large dossiers on a loaded machine (or a sanitizer build): wait for the answer.
ini_set('default_socket_timeout', '900');

function decode_args($v) {
	if (is_array($v)) {
		if (array_key_exists('_b64', $v) && count($v) === 1)
			return base64_decode($v['_b64']);
		foreach ($v as $k => $x)
			$v[$k] = decode_args($x);
	}
	return $v;
}

function encode_result($v) {
	if (is_object($v))
		$v = get_object_vars($v);
	if (is_array($v)) {
		foreach ($v as $k => $x)
			$v[$k] = ($k === '_' && is_string($x)) ? ['_b64' => base64_encode($x)] : encode_result($x);
	}
	return $v;
}

$out = [];
try {
	$client = new SoapClient($in['wsdl'], [
		'login' => $in['login'], 'password' => $in['password'],
		'trace' => 1, 'exceptions' => 1, 'cache_wsdl' => WSDL_CACHE_NONE,
	]);
} catch (Throwable $e) {
	echo json_encode([['fault' => $e->getMessage(), 'faultcode' => 'wsdl']]), "\n";
	exit(0);
}
foreach ($in['calls'] as $call) {
	try {
		$r = $client->__soapCall($call['op'], [decode_args($call['arg'] ?? null)]);
		$out[] = ['result' => encode_result($r)];
	} catch (SoapFault $f) {
		$out[] = ['fault' => $f->faultstring, 'faultcode' => $f->faultcode];
	}
}
echo json_encode($out, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
