'use strict'
const { defineSuite, packageJSON } = require('../lib/suite')
const opensearch = require('@opensearch-project/opensearch')

defineSuite('opensearch', opensearch, `@opensearch-project/opensearch ${packageJSON('@opensearch-project/opensearch').version}`)
