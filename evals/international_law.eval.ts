import { defineSubject } from '../src/suite.js'

defineSubject('international_law')
