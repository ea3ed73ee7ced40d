import { defineSubject } from '../src/suite.js'

defineSubject('us_foreign_policy')
