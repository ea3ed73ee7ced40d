import { defineSubject } from '../src/suite.js'

defineSubject('logical_fallacies')
