import { defineSubject } from '../src/suite.js'

defineSubject('public_relations')
