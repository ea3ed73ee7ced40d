import { defineSubject } from '../src/suite.js'

defineSubject('elementary_mathematics')
