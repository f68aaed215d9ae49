<?php
/*
 * Dozvon HTTP tunnel to MySQL/MariaDB: put this file on the clinic's web server, next to the
 * database that the robot cannot reach directly. It speaks the binary reply format of the
 * widely deployed Navicat ntunnel_mysql.php (v206), so the same client works with both, and it
 * is hardened where that script is not:
 *   - a shared secret is required (X-Tunnel-Token header or `token` field), compared in
 *     constant time; a wrong or missing token gets 403;
 *   - the database host and port are fixed here: the client's `host`/`port` are ignored,
 *     so the script cannot be used as a relay to other machines;
 *   - POST only (405 otherwise), no HTML page, no test form;
 *   - it stops at the first failing statement, so a transaction sent as START TRANSACTION ...
 *     COMMIT is never committed half-done (the connection closes and MySQL rolls it back);
 *   - utf8mb4, a connect timeout, no PHP warnings in the reply.
 * Serve it over HTTPS only, and allow only the robot's address (web server config).
 *
 * Settings come from the environment (SetEnv in Apache, fastcgi_param in nginx):
 *   DOZVON_TUNNEL_TOKEN    the shared secret (required; long and random)
 *   DOZVON_TUNNEL_DB_HOST  default 127.0.0.1
 *   DOZVON_TUNNEL_DB_PORT  default 3306
 *
 * Part of Dozvon, AGPL-3.0-or-later.
 */
declare(strict_types=1);

const TUNNEL_VERSION = 206;
const MAGIC = 1111;

ini_set('display_errors', '0');
header('Content-Type: text/plain; charset=x-user-defined');
header('Cache-Control: no-store');

$token = (string) getenv('DOZVON_TUNNEL_TOKEN');
$dbHost = getenv('DOZVON_TUNNEL_DB_HOST') ?: '127.0.0.1';
$dbPort = (int) (getenv('DOZVON_TUNNEL_DB_PORT') ?: 3306);

if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
    http_response_code(405);
    header('Allow: POST');
    exit;
}
if (strlen($token) < 16) {
    http_response_code(500);
    echo 'DOZVON_TUNNEL_TOKEN is not set (16 characters at least)';
    exit;
}
$given = $_SERVER['HTTP_X_TUNNEL_TOKEN'] ?? ($_POST['token'] ?? '');
if (!is_string($given) || !hash_equals($token, $given)) {
    http_response_code(403);
    exit;
}

function u32(int $n): string { return pack('N', $n); }

function block(?string $value): string
{
    if ($value === null) {
        return "\xFF";
    }
    $length = strlen($value);
    return $length < 254 ? chr($length) . $value : "\xFE" . pack('N', $length) . $value;
}

function header_block(int $errno): string
{
    return u32(MAGIC) . pack('n', TUNNEL_VERSION) . u32($errno) . str_repeat("\0", 6);
}

function result_header(int $errno, int $affected, int $insertId, int $fields, int $rows): string
{
    return u32($errno) . u32($affected) . u32($insertId) . u32($fields) . u32($rows) . str_repeat("\0", 12);
}

mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
$database = (string) ($_POST['db'] ?? '');
$connected = @$db->real_connect(
    $dbHost,
    (string) ($_POST['login'] ?? ''),
    (string) ($_POST['password'] ?? ''),
    $database === '' ? null : $database,
    $dbPort
);
if (!$connected) {
    echo header_block(mysqli_connect_errno() ?: 2002), block(mysqli_connect_error() ?: 'connect failed');
    exit;
}
$db->set_charset('utf8mb4');

$action = $_POST['actn'] ?? '';
if ($action === 'C') {
    echo header_block(0), block($db->host_info), block((string) $db->protocol_version), block($db->server_info);
    exit;
}
if ($action !== 'Q') {
    http_response_code(400);
    exit;
}

$queries = $_POST['q'] ?? [];
$queries = is_array($queries) ? array_values($queries) : [];
$base64 = ($_POST['encodeBase64'] ?? '') === '1';
echo header_block(0);
$last = count($queries) - 1;
foreach ($queries as $i => $query) {
    $sql = $base64 ? base64_decode((string) $query, true) : (string) $query;
    $result = $sql === false ? false : $db->query($sql);
    if ($result === false) {
        $errno = $sql === false ? 1064 : $db->errno;
        $error = $sql === false ? 'q[] is not valid base64' : $db->error;
        echo result_header($errno, 0, 0, 0, 0), block($error), "\x00";
        break;  // nothing after a failure runs: an open transaction is rolled back on close
    }
    if ($result === true) {
        echo result_header(0, max(0, $db->affected_rows), (int) $db->insert_id, 0, 0), block((string) $db->info);
    } else {
        $fields = $result->fetch_fields();
        echo result_header(0, 0, 0, count($fields), $result->num_rows);
        foreach ($fields as $field) {
            echo block($field->name), block($field->table), u32($field->type), u32($field->flags), u32($field->length);
        }
        while (is_array($row = $result->fetch_row())) {
            $out = '';
            foreach ($row as $value) {
                $out .= block($value === null ? null : (string) $value);
            }
            echo $out;
        }
        $result->free();
    }
    echo $i < $last ? "\x01" : "\x00";
}
$db->close();
