// Test peer only: Medplum's real FHIR router over its in-memory repository, served on HTTP.
// Usage: node --experimental-websocket server.mjs PORT   (Node 20 needs the flag: @medplum/core expects WebSocket)
// Prints "listening PORT" once ready. Base URL: http://127.0.0.1:PORT/fhir/R4/
import http from 'node:http';
import { getStatus, isOk } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const port = Number(process.argv[2] ?? 0);
const PREFIX = '/fhir/R4';
const router = new FhirRouter();
const repo = new MemoryRepository();

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const url = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
      if (!url.pathname.startsWith(PREFIX)) return send(res, 404, { resourceType: 'OperationOutcome' });
      const raw = Buffer.concat(chunks).toString('utf8');
      const query = {};
      for (const [k, v] of url.searchParams) {
        if (k in query) query[k] = [].concat(query[k], v);
        else query[k] = v;
      }
      const fhirReq = {
        method: req.method,
        url: url.pathname.slice(PREFIX.length) + url.search,
        pathname: '',
        params: {},
        query,
        body: raw ? JSON.parse(raw) : undefined,
        headers: req.headers,
      };
      const [outcome, resource] = await router.handleRequest(fhirReq, repo);
      const status = getStatus(outcome);
      const headers = {};
      if (resource?.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
      send(res, status, isOk(outcome) ? (resource ?? outcome) : outcome, headers);
    } catch (err) {
      send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err) }] });
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
