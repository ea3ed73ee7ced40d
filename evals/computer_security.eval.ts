import { defineSubject } from '../src/suite.js'

defineSubject('computer_security')
