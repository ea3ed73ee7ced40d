import { defineSubject } from '../src/suite.js'

defineSubject('formal_logic')
