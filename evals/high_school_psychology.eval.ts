import { defineSubject } from '../src/suite.js'

defineSubject('high_school_psychology')
