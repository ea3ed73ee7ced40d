import { defineSubject } from '../src/suite.js'

defineSubject('high_school_european_history')
