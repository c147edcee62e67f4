'use strict'
// @elastic/elasticsearch is held at 7.13: from 7.14 on it checks that the server is
// Elasticsearch and refuses OpenSearch (ProductNotSupportedError); 8.x likewise.
const { defineSuite, packageJSON } = require('../lib/suite')
const elasticsearch = require('@elastic/elasticsearch')

defineSuite('elasticsearch', elasticsearch, `@elastic/elasticsearch ${packageJSON('@elastic/elasticsearch').version}`)
