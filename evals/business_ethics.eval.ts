import { defineSubject } from '../src/suite.js'

defineSubject('business_ethics')
