'use strict'
// One suite for both official JavaScript clients (they share the same API shape):
// Portcullis over TLS (verified against the proxy's CA file) with HTTP Basic.
// Environment (exported by scripts/clients.sh): PROXY_URL, PROXY_CA_FILE,
// ADMIN_USER, ADMIN_PASSWORD, READER_USER, READER_PASSWORD, CLIENTS_RUN_ID.
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')

function env (name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run the suite through scripts/clients.sh`)
  return v
}

const DOCS = [
  { n: 1, title: 'alpha portcullis', tag: 'keep' },
  { n: 2, title: 'beta portcullis', tag: 'keep' },
  { n: 3, title: 'gamma portcullis', tag: 'drop' }
]

// defineSuite registers the tests for one client library.
//   label   short name used in the index name
//   Client  the library's Client class; errors: its errors namespace
function defineSuite (label, { Client, errors }, version) {
  const url = env('PROXY_URL')
  const ca = fs.readFileSync(env('PROXY_CA_FILE'))
  const admin = { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') }
  const reader = { username: env('READER_USER'), password: env('READER_PASSWORD') }
  const index = `clients-js-${label}-${env('CLIENTS_RUN_ID')}`.toLowerCase()

  const make = ({ auth, withCA = true } = {}) => new Client({
    node: url,
    ...(auth ? { auth } : {}),
    ssl: withCA ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: true },
    maxRetries: 0,
    requestTimeout: 30000
  })

  // Runs fn, which must fail with a ResponseError; returns that error.
  async function responseError (fn) {
    let err
    try {
      await fn()
    } catch (e) {
      err = e
    }
    assert.ok(err, 'expected the request to fail')
    assert.ok(err instanceof errors.ResponseError, `expected a ResponseError, got ${err && err.name}: ${err && err.message}`)
    return err
  }

  describe(`${label} ${version}`, () => {
    describe('superuser', () => {
      const client = make({ auth: admin })
      after(async () => {
        await client.indices.delete({ index }, { ignore: [404] })
        await client.close()
      })

      it('cluster health', async () => {
        const { body, statusCode } = await client.cluster.health()
        assert.equal(statusCode, 200)
        assert.ok(['green', 'yellow'].includes(body.status), body.status)
        assert.ok(body.number_of_nodes >= 1)
      })

      it('info reports the OpenSearch behind the proxy', async () => {
        const { body } = await client.info()
        assert.equal(body.version.distribution, 'opensearch')
        assert.match(body.version.number, /^2\./)
      })

      it('create index, bulk, search, get, delete', async () => {
        let res = await client.indices.create({
          index,
          body: {
            settings: { number_of_shards: 1, number_of_replicas: 0 },
            mappings: { properties: { n: { type: 'integer' }, tag: { type: 'keyword' } } }
          }
        })
        assert.equal(res.statusCode, 200)
        assert.equal(res.body.acknowledged, true)
        assert.equal(res.body.index, index)

        res = await client.bulk({
          refresh: 'true',
          body: DOCS.flatMap(d => [{ index: { _index: index, _id: String(d.n) } }, d])
        })
        assert.equal(res.body.errors, false)
        assert.deepEqual(res.body.items.map(i => i.index.result), ['created', 'created', 'created'])
        assert.deepEqual(res.body.items.map(i => i.index._id), ['1', '2', '3'])

        res = await client.search({ index, body: { query: { term: { tag: 'keep' } }, sort: [{ n: 'asc' }] } })
        assert.equal(res.body.hits.total.value, 2)
        assert.deepEqual(res.body.hits.hits.map(h => h._id), ['1', '2'])
        assert.deepEqual(res.body.hits.hits.map(h => h._source.title), ['alpha portcullis', 'beta portcullis'])

        res = await client.search({ index, body: { query: { match: { title: 'portcullis' } } } })
        assert.equal(res.body.hits.total.value, 3)

        res = await client.get({ index, id: '3' })
        assert.equal(res.body.found, true)
        assert.equal(res.body._id, '3')
        assert.deepEqual(res.body._source, DOCS[2])

        const nf = await responseError(() => client.get({ index, id: '404' }))
        assert.equal(nf.statusCode, 404)
        assert.equal(nf.body.found, false)

        res = await client.indices.delete({ index })
        assert.deepEqual(res.body, { acknowledged: true })
        res = await client.indices.exists({ index })
        assert.equal(res.body, false)
        assert.equal(res.statusCode, 404)
      })
    })

    it('non-superuser search is refused with 403 security_exception', async () => {
      const client = make({ auth: reader })
      const err = await responseError(() => client.search({ index, body: { query: { match_all: {} } } }))
      await client.close()
      assert.equal(err.statusCode, 403)
      assert.equal(err.body.status, 403)
      assert.equal(err.body.error.type, 'security_exception')
      assert.equal(err.body.error.root_cause[0].type, 'security_exception')
      const prefix = `action [indices:data/read/search] is unauthorized for user [${reader.username}]`
      assert.ok(err.body.error.reason.startsWith(prefix), err.body.error.reason)
    })

    it('wrong password is refused with 401', async () => {
      const client = make({ auth: { username: reader.username, password: 'not-' + reader.password } })
      const err = await responseError(() => client.search({ index, body: { query: { match_all: {} } } }))
      await client.close()
      assert.equal(err.statusCode, 401)
      assert.equal(err.body.error.type, 'security_exception')
      assert.equal(err.body.error.reason, `unable to authenticate user [${reader.username}] for REST request [/${index}/_search]`)
      assert.match(err.headers['www-authenticate'], /^Basic realm="security"/)
    })

    it('no credentials are refused with 401', async () => {
      const client = make()
      const err = await responseError(() => client.search({ index, body: { query: { match_all: {} } } }))
      await client.close()
      assert.equal(err.statusCode, 401)
      assert.equal(err.body.error.type, 'security_exception')
      assert.equal(err.body.error.reason, `missing authentication credentials for REST request [/${index}/_search]`)
    })

    it('the proxy certificate is verified (fails without its CA)', async () => {
      const client = make({ auth: admin, withCA: false })
      await assert.rejects(client.cluster.health(), err => {
        assert.ok(err instanceof errors.ConnectionError, `expected a ConnectionError, got ${err.name}`)
        assert.match(err.message, /certificate/i)
        return true
      })
      await client.close()
    })
  })
}

// packageJSON reads an installed package's package.json (not every package exports it).
function packageJSON (name) {
  return JSON.parse(fs.readFileSync(require('node:path').join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8'))
}

module.exports = { defineSuite, packageJSON }
