import { defineSubject } from '../src/suite.js'

defineSubject('abstract_algebra')
