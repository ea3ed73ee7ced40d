import { defineSubject } from '../src/suite.js'

defineSubject('global_facts')
