import { defineSubject } from '../src/suite.js'

defineSubject('security_studies')
