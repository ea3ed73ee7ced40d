import { defineSubject } from '../src/suite.js'

defineSubject('machine_learning')
